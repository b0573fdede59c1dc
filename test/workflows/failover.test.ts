import { describe, expect, it, vi } from 'vitest';
import { failWith } from '../harness/faults';
import { failoverHarness, mutatingCalls, OLD_TARGET, RECORD } from './failover-harness';

// A backup and a failover, each with its functions bundled and under their roles, on two shared cores.
vi.setConfig({ testTimeout: 300_000 });
const { h, backup, failover, setRecord } = failoverHarness();
const OUTAGE = { database: 'orders', scenario: 'region-outage', startedBy: 'Sam' };

describe('the synthesized failover workflow against moto, an embedded PostgreSQL and a DNS answer of Route 53', () => {
  it('region outage: restores the newest verified DR copy once approved, switches the record, verifies through the name, records it', async () => {
    // Prepare: a verified DR copy; no read replica in the DR region.
    await backup();
    // Act: Dana approves two minutes in.
    const { run, alerts, record, restored, dns } = await failover(OUTAGE, { answer: 'approve', answerAt: 120 });
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.states).toEqual([
      'Validate the failover request',
      'Start the failover record',
      'Pre-check and plan the recovery',
      'Is this a dry run?',
      'Is the approval waived?',
      'Ask for approval',
      'Recover the database in the DR region',
      'Wait until the recovered database takes writes',
      'Point the record at the recovered database',
      'Wait until the record change is in sync',
      'Verify through the name',
      'Verified through the name?',
      'Record the failover',
      'Failed over',
    ]);
    expect(restored).toEqual([expect.stringMatching(/^lifeline-failover-orders-[0-9a-f]{8}$/)]);
    // The record names the restored database's endpoint (the data plane's, on loopback).
    expect(dns).toBe('127.0.0.1');
    expect(h.dns.asked).toContain(RECORD);
    // The approval request paged through the alert topic, tagged for the sink, with the exact commands.
    const request = alerts.find((a) => a.Subject?.includes('waits for approval'));
    expect(request?.MessageAttributes?.['lifeline.kind']?.Value).toBe('failover-approval');
    expect(request?.Message).toContain(
      'If approved, it will:\n  1. RDS RestoreDBInstanceFromDBSnapshot lifeline-orders-',
    );
    expect(request?.Message).toMatch(
      /aws lambda invoke --region eu-west-1 --function-name lifeline-failover-command --cli-binary-format raw-in-base64-out --payload '\{"action":"approve","token":"AQ[^"]+","by":"YOUR NAME"\}' \/dev\/stdout/,
    );
    expect(request?.Message).toContain('"action":"reject"');
    expect(record?.json).toMatchObject({
      database: 'orders',
      scenario: 'region-outage',
      status: 'failed-over',
      startedBy: 'Sam',
      approval: { required: true, by: 'Dana' },
      source: { type: 'snapshot', origin: 'dr-copy', snapshotId: expect.stringMatching(/^lifeline-orders-/) },
      considered: [
        { option: 'promote-replica', usable: false, why: 'read replica orders-dr does not exist in eu-west-1' },
        { option: 'point-in-time', usable: false },
        { option: 'dr-copy', usable: true },
      ],
      verification: { verified: true, checks: [{ passed: true }, { passed: true }, { passed: true }] },
      error: null,
    });
    // Measured from the execution's start to the verification: the 2 minutes of approval and the polls count.
    expect(record?.json.rtoSeconds).toBeGreaterThanOrEqual(120);
    expect(record?.json.dataLoss.seconds).toBeGreaterThan(0);
    expect(record?.json.steps.map((s) => [s.step, s.at !== null])).toEqual([
      ['failover started', true],
      ['pre-checks done', true],
      ['approved', true],
      ['recovery started', true],
      ['database available', true],
      ['DNS change submitted', true],
      ['DNS in sync', true],
      ['verified through the name', true],
      ['record written', true],
    ]);
    expect(record?.html).toContain('Failover of orders (region-outage): <span class="ok">failed-over</span>');
    // It never called the primary region.
    expect(run.calls.filter((c) => c.region === 'eu-central-1')).toEqual([]);
    expect(record?.key).toMatch(/^failovers\/orders\/\d{4}-\d\d-\d\d\/[0-9a-f-]+\.json$/);
  });

  it('dry run: reads and checks everything, shows the exact plan, changes nothing and writes its record', async () => {
    await backup();
    const { run, record, restored, dns } = await failover({ ...OUTAGE, dryRun: true });
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(mutatingCalls(run)).toEqual([]);
    expect(run.calls.map((c) => c.action)).toEqual(
      expect.arrayContaining(['DescribeKey', 'ListResourceRecordSets', 'DescribeDBInstances', 'DescribeDBSnapshots']),
    );
    expect(run.output).toMatchObject({
      dryRun: true,
      source: { type: 'snapshot', origin: 'dr-copy' },
      currentRecord: { name: RECORD, value: OLD_TARGET },
      changes: [
        expect.stringMatching(
          /^RDS RestoreDBInstanceFromDBSnapshot lifeline-orders-\S+ as lifeline-failover-orders-[0-9a-f]{8} \(db\.t4g\.micro\)$/,
        ),
        'wait until it is available (checked every 15 s)',
        expect.stringContaining(`db.example.com CNAME ${OLD_TARGET} -> the endpoint of lifeline-failover-orders-`),
        expect.stringContaining('verify through db.example.com'),
      ],
    });
    expect(restored).toEqual([]);
    expect(dns).toBe(OLD_TARGET);
    // Its record is the preflight the readiness score and the evidence roll-up count.
    expect(run.calls.filter((c) => c.action === 'PutObject').map((c) => c.params.Key)).toEqual([
      expect.stringMatching(/^failovers\/orders\/\d{4}-\d\d-\d\d\/[0-9a-f-]+\.json$/),
      expect.stringMatching(/^failovers\/orders\/\d{4}-\d\d-\d\d\/[0-9a-f-]+\.html$/),
    ]);
    expect(record?.json).toMatchObject({
      status: 'planned',
      dryRun: true,
      summary: expect.stringMatching(/^Dry run of the failover of orders \(region-outage\): 4 change\(s\) planned/),
    });
    expect(run.output).toMatchObject({
      location: { json: expect.stringMatching(new RegExp(`^s3://[^/]+/${record?.key}$`)) },
      record: { status: 'planned', summary: record?.json.summary },
    });
  });

  it('a dry run whose pre-checks fail is recorded and paged as a failed preflight (P2), not a failed failover', async () => {
    // Prepare: no backup ran, so there is no DR copy to recover from.
    // Act
    const { run, alerts, record, restored, dns } = await failover({ ...OUTAGE, dryRun: true });
    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('FailoverPreflightFailed');
    expect(mutatingCalls(run).filter((c) => !c.startsWith('sns:'))).toEqual([]);
    expect(restored).toEqual([]);
    expect(dns).toBe(OLD_TARGET);
    const kinds = alerts.map((a) => a.MessageAttributes?.['lifeline.kind']?.Value);
    expect(kinds).toContain('failover-preflight-failed');
    expect(kinds).not.toContain('failover-failed');
    const alert = alerts.find((a) => a.MessageAttributes?.['lifeline.kind']?.Value === 'failover-preflight-failed');
    expect(alert?.Subject).toBe('Lifeline failover dry run of orders: failed');
    expect(record?.json).toMatchObject({
      status: 'failed',
      dryRun: true,
      summary: expect.stringMatching(/^Dry run of the failover of orders \(region-outage\) failed at /),
    });
  });

  it('approval rejected: stops, records who rejected it, and changes nothing', async () => {
    await backup();
    const { run, record, restored, dns } = await failover(OUTAGE, { answer: 'reject', answerAt: 60 });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('FailoverRejected');
    expect(run.states.at(-1)).toBe('Stopped: the failover was rejected, nothing was changed');
    expect(restored).toEqual([]);
    expect(dns).toBe(OLD_TARGET);
    expect(record?.json).toMatchObject({ status: 'rejected', summary: expect.stringContaining('Rejected by Dana') });
    expect(mutatingCalls(run).filter((c) => c.startsWith('rds:') || c.startsWith('route53:'))).toEqual([]);
  });

  it('approval timed out: stops after the configured 30 minutes with no change', async () => {
    await backup();
    const { run, record, restored, dns } = await failover(OUTAGE);
    expect(run.error).toBe('FailoverNotApproved');
    expect(run.simulatedSeconds).toBeGreaterThanOrEqual(1800);
    expect(restored).toEqual([]);
    expect(dns).toBe(OLD_TARGET);
    expect(record?.json).toMatchObject({
      status: 'not-approved',
      summary: expect.stringContaining('not approved within 30 min'),
    });
  });

  it('an approval waived in the request goes straight to the recovery and says why in the record', async () => {
    await backup();
    const { run, record } = await failover({ ...OUTAGE, approval: { waive: 'CTO on the bridge call approved it' } });
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.states).not.toContain('Ask for approval');
    expect(record?.json.approval).toEqual({
      required: false,
      waiver: 'CTO on the bridge call approved it',
      by: null,
      at: null,
    });
  });

  it('retries Route 53 PriorRequestNotComplete and throttling, then switches', async () => {
    await backup();
    const faults = [
      failWith(
        'ChangeResourceRecordSetsCommand',
        'PriorRequestNotComplete',
        'The request was rejected because Route 53 was still processing a prior request.',
        4,
      ),
      failWith('GetChangeCommand', 'Throttling', 'Rate exceeded', 4),
    ];
    const { run, record, dns } = await failover({ ...OUTAGE, approval: { waive: 'test' } }, { faults });
    expect(run.status, run.cause).toBe('SUCCEEDED');
    // Four refusals of the change, four throttled GetChange polls, then Route 53's PENDING and INSYNC.
    expect(run.faults.map((f) => f.fired)).toEqual([4, 4, 1]);
    expect(run.retries['Point the record at the recovered database']).toBeGreaterThanOrEqual(1);
    expect(dns).toBe('127.0.0.1');
    expect(record?.json.status).toBe('failed-over');
  });

  it('a failed recovery is recorded and escalated as failover-failed, and the record stays on production', async () => {
    await backup();
    const faults = [
      failWith('RestoreDBInstanceFromDBSnapshotCommand', 'InsufficientDBInstanceCapacity', 'no capacity in eu-west-1a'),
    ];
    const { run, alerts, record, dns } = await failover({ ...OUTAGE, approval: { waive: 'test' } }, { faults });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RecoveryFailed');
    expect(dns).toBe(OLD_TARGET);
    const alert = alerts.find((a) => a.MessageAttributes?.['lifeline.kind']?.Value === 'failover-failed');
    expect(alert?.Message).toContain('Step: Recover the database in the DR region');
    expect(record?.json).toMatchObject({
      status: 'failed',
      error: { step: 'Recover the database in the DR region', error: 'RecoveryFailed' },
    });
  });

  it('verification fails after the switch while the old target answers: DNS is rolled back, escalated, recorded', async () => {
    // Prepare: the copy lacks the canary row; the old target (localhost) still accepts connections.
    await backup({ canary: false });
    await setRecord('localhost');
    // Act
    const { run, alerts, record, dns } = await failover({ ...OUTAGE, approval: { waive: 'test' } });
    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('FailoverNotVerified');
    expect(run.states).toContain('Point the record back at the old target');
    expect(dns).toBe('localhost');
    expect(record?.json).toMatchObject({
      status: 'rolled-back',
      verification: { verified: false, oldTarget: { value: 'localhost', healthy: true } },
    });
    expect(record?.json.verification?.summary).toContain('table lifeline_canary does not exist');
    expect(record?.json.steps.map((s) => s.step)).toContain('DNS rolled back');
    const alert = alerts.find((a) => a.MessageAttributes?.['lifeline.kind']?.Value === 'failover-failed');
    expect(alert?.Subject).toBe('Lifeline failover of orders: rolled-back');
  });

  it('verification fails and the old target does not answer: the record stays, escalated, recorded', async () => {
    await backup({ canary: false });
    const { run, alerts, record, dns } = await failover({ ...OUTAGE, approval: { waive: 'test' } });
    expect(run.error).toBe('FailoverNotVerified');
    expect(run.states).not.toContain('Point the record back at the old target');
    expect(dns).toBe('127.0.0.1');
    expect(record?.json).toMatchObject({
      status: 'verification-failed',
      verification: { oldTarget: { healthy: false } },
    });
    expect(alerts.some((a) => a.MessageAttributes?.['lifeline.kind']?.Value === 'failover-failed')).toBe(true);
  });

  it.each([
    [
      { database: 'ledger', scenario: 'region-outage' },
      'database: \\"ledger\\" is not a database that fails over (failover.databases: orders)',
    ],
    [{ database: 'orders', scenario: 'flood' }, 'scenario: expected one of'],
    [{ database: 'orders', scenario: 'database-corruption' }, 'pointInTime: is required for database-corruption'],
    [{ database: 'orders', scenario: 'database-corruption', pointInTime: '2099-01-01T00:00:00Z' }, 'is in the future'],
  ])('rejects %j first, before any read or change', async (input, message) => {
    const { run } = await failover(input);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInput');
    expect(run.cause).toContain(message);
    expect(run.states).toEqual(['Validate the failover request', 'Reject the failover request']);
    expect(run.calls).toEqual([]);
  });

  it('ransomware: refuses every point the production account could have changed (no vault here)', async () => {
    await backup();
    const { run, restored, dns } = await failover({
      database: 'orders',
      scenario: 'ransomware',
      cleanBefore: new Date().toISOString(),
    });
    expect(run.error).toBe('FailoverPrecheckFailed');
    expect(run.cause).toContain('a ransomware recovery restores only vault copies');
    expect(restored).toEqual([]);
    expect(dns).toBe(OLD_TARGET);
  });
});
