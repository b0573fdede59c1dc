import {
  CreateDBClusterCommand,
  CreateGlobalClusterCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { describe, expect, it, vi } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { failWith } from '../harness/faults';
import { evaluateRun } from '../harness/iam-evaluation';
import { runWorkflow } from '../harness/run-workflow';
import { DR, failoverConfig, failoverHarness, mutatingCalls, OLD_TARGET } from './failover-harness';

// Backups into the vault and failovers, each with its functions bundled and under their roles, on two shared cores.
vi.setConfig({ testTimeout: 300_000 });

const PROD = '123456789012';
const VAULT = '210987654321';
const WAIVED = { waive: 'the incident commander approved it on the bridge' };

/**
 * The failover config with a vault account (orders is copied into the vault, and fails over from there for
 * ransomware), and ledger, an Aurora global database with its secondary in the DR region, failing over too.
 */
function scenarioConfig(): LifelineConfigInput {
  const config = failoverConfig();
  return {
    ...config,
    account: PROD,
    vault: { account: VAULT, retention: { daily: 7, weekly: 0, monthly: 0, yearly: 0 } },
    databases: config.databases.map((db) =>
      db.id === 'orders'
        ? { ...db, backup: { ...db.backup, copyToVault: true } }
        : db.id === 'ledger'
          ? {
              ...db,
              continuous: { mode: 'global-database', globalCluster: 'ledger-global', secondaryCluster: 'ledger-dr' },
            }
          : db,
    ),
    failover: { ...(config.failover as NonNullable<LifelineConfigInput['failover']>), databases: ['orders', 'ledger'] },
  };
}

const { h, createReplica, failover, record } = failoverHarness(scenarioConfig());
const PRIMARY = 'eu-central-1';

/** The nightly backup of `day` (02:00 UTC): a DR copy in production and its copy in the vault, both verified. */
const backupOf = async (day: string) => {
  const run = await runWorkflow(h.aws.cloud, h.aws.cloud.stateMachine('-backup'), {
    database: 'orders',
    scheduledTime: `${day}T02:00:00Z`,
  });
  expect(run.status, run.cause).toBe('SUCCEEDED');
  return `lifeline-orders-${day.replaceAll('-', '')}t0200`;
};
const vaultArn = (id: string) => `arn:aws:rds:${DR}:${VAULT}:snapshot:${id}`;
const drArn = (id: string) => `arn:aws:rds:${DR}:${PROD}:snapshot:${id}`;

describe('ransomware: a failover from the vault account only', () => {
  it('restores the newest vault copy at or before cleanBefore, through its copy under the DR key, never a DR copy', async () => {
    // Prepare: three nights copied into the vault; the third (and its DR copy, newer still) is after cleanBefore.
    const [, clean, late] = [await backupOf('2026-11-20'), await backupOf('2026-11-21'), await backupOf('2026-11-22')];
    // Act
    const {
      run,
      record: report,
      restored,
      dns,
    } = await failover({
      database: 'orders',
      scenario: 'ransomware',
      cleanBefore: '2026-11-21T12:00:00Z',
      approval: WAIVED,
      startedBy: 'Sam',
    });
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(report?.json).toMatchObject({
      status: 'failed-over',
      source: { type: 'snapshot', origin: 'vault', snapshotId: clean, snapshotArn: vaultArn(clean) },
      considered: [
        { option: 'dr-copy', usable: false },
        { option: 'vault-copy', usable: true, why: `vault copy ${clean} taken 2026-11-21T02:00:00.000Z` },
      ],
      verification: { verified: true },
    });
    const [target] = restored;
    expect(target).toMatch(/^lifeline-failover-orders-[0-9a-f]{8}$/);
    expect(dns).toBe('127.0.0.1');
    // The vault's reader role read the vault and shared the chosen copy with production, and only that one.
    const reader = `arn:aws:iam::${VAULT}:role/lifeline-vault-reader`;
    const byReader = run.calls.filter((c) => c.roleArn === reader);
    expect(byReader.map((c) => c.action)).toEqual(expect.arrayContaining(['DescribeDBSnapshots']));
    const shares = byReader.filter((c) => c.action === 'ModifyDBSnapshotAttribute').map((c) => c.params);
    expect(shares).toEqual([expect.objectContaining({ DBSnapshotIdentifier: clean, AttributeName: 'restore' })]);
    expect(Object.values(shares[0] ?? {})).toContain(PROD);
    // Production copied it under the DR key and restored that copy: no DR copy was read for the plan or restored.
    const rdsCalls = (action: string) => run.calls.filter((c) => c.service === 'rds' && c.action === action);
    expect(
      rdsCalls('CopyDBSnapshot').map((c) => [c.roleArn, c.params.SourceDBSnapshotIdentifier, c.params.KmsKeyId]),
    ).toEqual([[`arn:aws:iam::${PROD}:role/lifeline-failover-recover`, vaultArn(clean), 'alias/lifeline/dr']]);
    expect(rdsCalls('RestoreDBInstanceFromDBSnapshot').map((c) => c.params.DBSnapshotIdentifier)).toEqual([target]);
    const production = run.calls.filter((c) => c.roleArn.includes(`::${PROD}:`) && c.service === 'rds');
    expect(production.filter((c) => c.action === 'DescribeDBSnapshots' && !c.params.DBSnapshotIdentifier)).toEqual([]);
    expect(JSON.stringify(run.calls)).not.toContain(drArn(late));
    expect(JSON.stringify(run.calls.map((c) => c.params))).not.toContain(vaultArn(late));
    // Every call, in both accounts, is allowed as AWS would: the trust of the reader, the vault key's policy.
    expect(await evaluateRun(h.aws, run)).toEqual([]);
    // The copy in production is Lifeline's, with no database tag: no retention counts it as a recovery point.
    const described = await h.aws
      .client(RDSClient, DR)
      .send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: target }));
    const [copy] = described.DBSnapshots ?? [];
    expect(copy?.Status).toBe('available');
    expect(copy?.TagList?.map((t) => t.Key)).not.toContain('lifeline:database');
  });

  it('fails before any change, saying so, when no vault copy is at or before cleanBefore', async () => {
    // Prepare: two nights in the vault, both after cleanBefore.
    await backupOf('2026-11-21');
    await backupOf('2026-11-22');
    // Act
    const {
      run,
      record: report,
      restored,
      dns,
    } = await failover({
      database: 'orders',
      scenario: 'ransomware',
      cleanBefore: '2026-11-20T23:00:00Z',
      approval: WAIVED,
    });
    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('FailoverPrecheckFailed');
    expect(run.cause).toContain(
      'Failover of orders (ransomware) cannot start, nothing was changed: recovery source: ransomware of orders cannot recover: no verified vault copy taken at or before 2026-11-20T23:00:00Z (2 vault copies, all later)',
    );
    expect(mutatingCalls(run).filter((c) => /^(rds|route53|kms):/.test(c))).toEqual([]);
    expect(restored).toEqual([]);
    expect(dns).toBe(OLD_TARGET);
    expect(await record()).toBe(OLD_TARGET);
    expect(report?.json).toMatchObject({ status: 'failed', error: { error: 'FailoverPrecheckFailed' } });
  });
});

describe('region outage: promote the read replica in the DR region', () => {
  const OUTAGE = { database: 'orders', scenario: 'region-outage', approval: WAIVED };

  it('promotes it, points the record at it, verifies through the name, and never calls the primary region', async () => {
    // Prepare: the configured replica of orders exists in the DR region.
    await createReplica();
    // Act
    const { run, record: report, restored, dns } = await failover(OUTAGE);
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(report?.json).toMatchObject({
      status: 'failed-over',
      source: { type: 'promote-replica', replica: 'orders-dr' },
      considered: [{ option: 'promote-replica', usable: true, why: 'read replica orders-dr is available' }],
      verification: { verified: true },
    });
    const promotes = run.calls.filter((c) => c.action === 'PromoteReadReplica');
    expect(promotes.map((c) => [c.region, c.params.DBInstanceIdentifier])).toEqual([[DR, 'orders-dr']]);
    // Nothing restored: the promoted replica serves, and the record names it.
    expect(restored).toEqual([]);
    expect(dns).toBe('127.0.0.1');
    expect(run.calls.filter((c) => c.region === h.aws.app.config.primaryRegion)).toEqual([]);
    expect(await evaluateRun(h.aws, run)).toEqual([]);
  });

  it('a promote RDS refuses: recorded and escalated as failover-failed, the record stays on production', async () => {
    // Prepare
    await createReplica();
    const faults = [
      failWith(
        'PromoteReadReplicaCommand',
        'InvalidDBInstanceState',
        'DB Instance orders-dr is not in available state',
      ),
    ];
    // Act
    const { run, alerts, record: report, restored, dns } = await failover(OUTAGE, { faults });
    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RecoveryFailed');
    expect(run.cause).toContain(
      'RDS refused the recovery of orders (promote-replica): InvalidDBInstanceStateFault: DB Instance orders-dr is not in available state',
    );
    expect(run.states).not.toContain('Point the record at the recovered database');
    expect(dns).toBe(OLD_TARGET);
    expect(restored).toEqual([]);
    const alert = alerts.find((a) => a.MessageAttributes?.['lifeline.kind']?.Value === 'failover-failed');
    expect(alert?.Message).toContain('Step: Recover the database in the DR region');
    expect(report?.json).toMatchObject({
      status: 'failed',
      source: { type: 'promote-replica' },
      error: { step: 'Recover the database in the DR region', error: 'RecoveryFailed' },
    });
  });
});

describe('region outage: fail the global database over to its DR secondary', () => {
  // moto 5.2.1 keeps global clusters and their members, but has neither FailoverGlobalCluster nor
  // SwitchoverGlobalCluster: the plan is proven against moto, the failover itself only with aws-sdk-client-mock.
  it('dry run: plans FailoverGlobalCluster with data loss to the secondary, reads only the DR region, changes nothing', async () => {
    // Prepare: ledger-global, its primary in the primary region and its secondary ledger-dr in the DR region.
    await h.aws
      .client(RDSClient, DR)
      .send(new CreateGlobalClusterCommand({ GlobalClusterIdentifier: 'ledger-global', Engine: 'aurora-postgresql' }));
    for (const [region, id] of [
      [PRIMARY, 'ledger-aurora'],
      [DR, 'ledger-dr'],
    ] as const)
      await h.aws.client(RDSClient, region).send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: id,
          Engine: 'aurora-postgresql',
          GlobalClusterIdentifier: 'ledger-global',
          ...(region === PRIMARY ? { MasterUsername: 'app', MasterUserPassword: 'fixture-password' } : {}),
        }),
      );
    // Act
    const { run, restored, dns } = await failover({ database: 'ledger', scenario: 'region-outage', dryRun: true });
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const secondaryArn = `arn:aws:rds:${DR}:${PROD}:cluster:ledger-dr`;
    expect(run.output).toMatchObject({
      dryRun: true,
      source: { type: 'global-failover', globalCluster: 'ledger-global', secondaryCluster: 'ledger-dr', secondaryArn },
      considered: [{ option: 'global-failover', usable: true }],
      changes: [
        `RDS FailoverGlobalCluster ledger-global to ${secondaryArn} with AllowDataLoss (the primary region does not answer)`,
        'wait until it is available (checked every 15 s)',
        expect.stringContaining(`CNAME ${OLD_TARGET} -> the endpoint of ledger-dr`),
        expect.stringContaining('verify through db.example.com'),
      ],
    });
    expect(mutatingCalls(run)).toEqual([]);
    expect(run.calls.filter((c) => c.region === PRIMARY)).toEqual([]);
    expect(restored).toEqual([]);
    expect(dns).toBe(OLD_TARGET);
  });
});
