import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../infra/config/load';
import { drillSpecs } from '../../infra/specs';
import { drillCatalogOf as catalogOfSpecs } from '../../state-machines/databases';
import { baseConfig } from '../fixtures/configs';

/** The drill catalog the DR stack embeds for a validated config. */
const drillCatalogOf = (config: Parameters<typeof drillSpecs>[1]) => catalogOfSpecs(drillSpecs(new Stack(), config));

// biome-ignore lint/suspicious/noExplicitAny: tests break the config on purpose
type Mutable = Record<string, any>;

const withWaiver = (waive: unknown) => {
  const config = structuredClone(baseConfig()) as Mutable;
  config.databases[1].drill.waive = waive;
  return config;
};

const problemsOf = (config: Mutable): string[] => {
  try {
    validateConfig(config);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
};

describe('drill.waive', () => {
  it('carries a waived objective, with its reason, into the drill catalog', () => {
    const config = validateConfig(withWaiver({ rpo: 'append-only ledger without a timestamp column' }));
    const catalog = drillCatalogOf(config);
    expect(catalog.ledger?.waive).toEqual({ rpo: 'append-only ledger without a timestamp column' });
    expect(catalog.orders?.waive).toEqual({});
  });

  it.each([
    [{ rpo: '' }, 'databases[1].drill.waive.rpo: expected the reason, in words, why this objective may go unmeasured'],
    [
      { rto: '   ' },
      'databases[1].drill.waive.rto: expected the reason, in words, why this objective may go unmeasured',
    ],
    [
      { rpo: true },
      'databases[1].drill.waive.rpo: expected the reason, in words, why this objective may go unmeasured',
    ],
    [{ freshness: 'x' }, 'databases[1].drill.waive'],
  ])('rejects the waiver %j naming the field', (waive, message) => {
    const problems = problemsOf(withWaiver(waive));
    expect(problems.some((p) => p.startsWith(message))).toBe(true);
  });
});
