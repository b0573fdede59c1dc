import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../infra/config/load';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { drillSpecs } from '../../infra/specs';
import { drillCatalogOf as catalogOfSpecs } from '../../state-machines/databases';
import { baseConfig } from '../fixtures/configs';

/** The drill catalog the DR stack embeds for a validated config. */
const drillCatalogOf = (config: Parameters<typeof drillSpecs>[1]) => catalogOfSpecs(drillSpecs(new Stack(), config));

/** The example config with the Aurora database's drill instance class set to `instanceClass` (or left out). */
function withAuroraClass(instanceClass: string | undefined): LifelineConfigInput {
  const config = structuredClone(baseConfig());
  const ledger = config.databases[1];
  if (!ledger?.drill) throw new Error('the fixture has no Aurora drill');
  if (instanceClass === undefined) delete ledger.drill.instanceClass;
  else ledger.drill.instanceClass = instanceClass;
  return config;
}

describe('the instance class of an Aurora drill', () => {
  it('defaults to db.t4g.medium for Aurora and db.t4g.micro for an RDS instance', () => {
    // Act
    const catalog = drillCatalogOf(validateConfig(withAuroraClass(undefined)));
    // Assess
    expect(catalog.ledger?.instanceClass).toBe('db.t4g.medium');
    expect(catalog.orders?.instanceClass).toBe('db.t4g.micro');
  });

  it('keeps a configured class', () => {
    expect(drillCatalogOf(validateConfig(withAuroraClass('db.r6g.large'))).ledger?.instanceClass).toBe('db.r6g.large');
  });

  it('refuses a micro class for Aurora at synth, naming the field and the value', () => {
    // Act
    let problems: readonly string[] = [];
    try {
      validateConfig(withAuroraClass('db.t4g.micro'));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    // Assess
    expect(problems).toEqual([expect.stringContaining('databases[1].drill.instanceClass: is not offered for Aurora')]);
    expect(problems[0]).toContain('db.t4g.micro');
  });
});
