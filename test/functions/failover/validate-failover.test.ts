import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failoverRequestProblems, validateFailover } from '../../../functions/failover/validate-failover';
import { entry, NOW, settings } from './fixtures';

const catalog = { orders: entry(), ledger: entry({ id: 'ledger', kind: 'cluster' }) };
const problems = (request: unknown, over = {}) => failoverRequestProblems(request, catalog, settings(over), NOW);

describe('a failover request, checked before anything is read or changed', () => {
  beforeEach(() => {
    process.env.LIFELINE_INSTALLATION = 'lifeline';
  });
  afterEach(() => {
    delete process.env.LIFELINE_INSTALLATION;
  });

  it('takes a region outage of a listed database, with approval required by default', async () => {
    // Act
    const plan = await validateFailover({
      request: { database: 'orders', scenario: 'region-outage' },
      catalog,
      settings: settings(),
      execution: 'arn:aws:states:eu-west-1:123456789012:execution:lifeline-failover:run-1',
      startTime: NOW,
    });
    // Assess
    expect(plan).toMatchObject({
      database: 'orders',
      scenario: 'region-outage',
      dryRun: false,
      pointInTime: null,
      approval: { required: true, waiver: null },
      targetId: expect.stringMatching(/^lifeline-failover-orders-[0-9a-f]{8}$/),
    });
  });

  it.each([
    [
      { database: 'billing', scenario: 'region-outage' },
      'database: "billing" is not a database that fails over (failover.databases: ledger, orders)',
    ],
    [
      { database: 'orders', scenario: 'meteor' },
      'scenario: expected one of "region-outage", "database-corruption", "ransomware", got "meteor"',
    ],
    [{ database: 'orders' }, 'scenario: expected one of'],
    [{ database: 'orders', scenario: 'region-outage', dryRun: 'yes' }, 'dryRun: expected true or false, got "yes"'],
    [{ database: 'orders', scenario: 'database-corruption' }, 'pointInTime: is required for database-corruption'],
    [
      { database: 'orders', scenario: 'database-corruption', pointInTime: '2026-12-01T11:00:00Z' },
      'pointInTime: 2026-12-01T11:00:00Z is in the future',
    ],
    [
      { database: 'orders', scenario: 'database-corruption', pointInTime: 'yesterday' },
      'pointInTime: expected an ISO-8601 time',
    ],
    [
      { database: 'orders', scenario: 'database-corruption', pointInTime: '2026-10-01T00:00:00Z' },
      'more than 35 days before',
    ],
    [
      { database: 'orders', scenario: 'region-outage', pointInTime: '2026-12-01T09:00:00Z' },
      'pointInTime: only database-corruption restores to a chosen point',
    ],
    [{ database: 'orders', scenario: 'ransomware' }, 'cleanBefore: is required for ransomware'],
    [
      { database: 'orders', scenario: 'ransomware', cleanBefore: '2026-12-02T00:00:00Z' },
      'cleanBefore: 2026-12-02T00:00:00Z is in the future',
    ],
    [
      { database: 'orders', scenario: 'region-outage', cleanBefore: '2026-12-01T09:00:00Z' },
      'cleanBefore: only ransomware takes cleanBefore',
    ],
    [{ database: 'orders', scenario: 'region-outage', approval: { waive: '' } }, 'approval.waive: expected the reason'],
    [{ database: 'orders', scenario: 'region-outage', approval: 'skip' }, 'approval: Invalid input: expected object'],
    [{ database: 'orders', scenario: 'region-outage', force: true }, 'unknown field "force"'],
    [[], 'input: Invalid input: expected object, received array'],
  ])('rejects %j: %s', (request, message) => {
    expect(problems(request).join('\n')).toContain(message);
  });

  it('refuses a waiver where the config does not allow one', () => {
    expect(
      problems(
        { database: 'orders', scenario: 'region-outage', approval: { waive: 'the CTO said so' } },
        { approvalWaivable: false },
      ),
    ).toEqual([
      'approval: this installation does not let a request waive the approval (failover.approval.waivable is false)',
    ]);
  });

  it('fails with every problem and says nothing was changed', async () => {
    await expect(
      validateFailover({
        request: { database: 'billing', scenario: 'ransomware' },
        catalog,
        settings: settings(),
        execution: 'x',
        startTime: NOW,
      }),
    ).rejects.toThrow(
      /^Failover request rejected, nothing was changed: database: "billing" .*; cleanBefore: is required/,
    );
  });
});
