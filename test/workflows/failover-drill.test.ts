import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, it, vi } from 'vitest';
import { failWith } from '../harness/faults';
import type { WorkflowRun } from '../harness/run-workflow';
import { DR, failoverHarness, OLD_TARGET, ZONE } from './failover-harness';

// A backup and a failover drill, each with its functions bundled and under their roles, on two shared cores.
vi.setConfig({ testTimeout: 300_000 });
const { h, backup, createReplica, failover } = failoverHarness();
const SHADOW = 'drill-orders.db.example.com';
const DRILL = { database: 'orders', scenario: 'region-outage', drill: true, startedBy: 'the monthly drill schedule' };

/** The record names every Route 53 change of the run touched, from the change batches as sent. */
const changedNames = (run: WorkflowRun) =>
  run.calls
    .filter((c) => c.action === 'ChangeResourceRecordSets')
    .flatMap((c) => [...(c.body ?? '').matchAll(/<Name>([^<]+)<\/Name>/g)].map((m) => m[1]?.replace(/\.$/, '')));

const shadowRecord = async () =>
  (
    (await h.aws.client(Route53Client, 'us-east-1').send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE })))
      .ResourceRecordSets ?? []
  ).find((s) => s.Name === `${SHADOW}.`);

describe('the failover drill: the runbook on a restored copy and a shadow record, then cleaned up', () => {
  it('restores a copy (never promotes the replica), verifies through the shadow name, deletes both, records it; production DNS untouched', async () => {
    // Prepare: a verified DR copy, and the read replica a real failover would promote.
    await backup();
    await createReplica();
    // Act
    const { run, record, restored, dns, alerts } = await failover(DRILL);
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.states).toEqual([
      'Validate the failover request',
      'Start the failover record',
      'Pre-check and plan the recovery',
      'Is this a dry run?',
      'Is the approval waived?',
      'Restore a copy for the failover drill',
      'Wait until the drill copy takes writes',
      'Point the shadow record at the drill copy',
      'Wait until the shadow record change is in sync',
      'Verify the drill through the shadow name',
      'Delete the drill copy and the shadow record',
      'Record the failover drill',
      'Did the failover drill pass?',
      'Failover drill passed',
    ]);
    // Production DNS: the same value, and no change batch named it; the shadow record was switched, then deleted.
    expect(dns).toBe(OLD_TARGET);
    expect(changedNames(run)).toEqual([SHADOW, SHADOW]);
    expect(await shadowRecord()).toBeUndefined();
    expect(h.dns.asked).toContain(SHADOW);
    // The copy is gone; the replica was not promoted and still replicates.
    expect(restored).toEqual([]);
    expect(run.calls.map((c) => c.action)).not.toContain('PromoteReadReplica');
    const replica = (
      await h.aws.client(RDSClient, DR).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-dr' }))
    ).DBInstances?.[0];
    expect(replica?.ReadReplicaSourceDBInstanceIdentifier).toBeTruthy();
    expect(run.calls.filter((c) => c.region === 'eu-central-1')).toEqual([]);
    // No approval was asked for; the record says why, and what the drill proved.
    expect(alerts.some((a) => a.Subject?.includes('waits for approval'))).toBe(false);
    expect(record?.key).toMatch(/^failovers\/orders\/drills\/\d{4}-\d\d-\d\d\/[0-9a-f-]+\.json$/);
    expect(record?.json).toMatchObject({
      status: 'drill-passed',
      startedBy: 'the monthly drill schedule',
      approval: { required: false, waiver: expect.stringContaining('a failover drill') },
      source: { type: 'snapshot', origin: 'dr-copy' },
      considered: [
        {
          option: 'promote-replica',
          usable: false,
          why: 'a failover drill never promotes read replica orders-dr: that is a real failover; it restores a copy',
        },
        { option: 'point-in-time', usable: false },
        { option: 'dr-copy', usable: true },
      ],
      verification: { verified: true },
      drill: {
        productionRecord: 'db.example.com',
        shadowRecord: SHADOW,
        cleanup: {
          deleted: [expect.stringMatching(/^lifeline-failover-orders-[0-9a-f]{8}$/)],
          leaked: [],
          recordDeleted: '127.0.0.1',
        },
      },
      error: null,
    });
    expect(record?.json.rtoSeconds).toEqual(expect.any(Number));
    expect(record?.json.summary).toContain(`verified through ${SHADOW}`);
    expect(record?.json.summary).toContain('db.example.com was not touched');
    expect(record?.json.changes.at(-1)).toContain(`then, passed or not, delete lifeline-failover-orders-`);
    expect(record?.html).toContain('Failover drill of orders (region-outage): <span class="ok">drill-passed</span>');
  });

  it('a verification that fails still deletes the copy and the shadow record, and alerts as a failed drill', async () => {
    // Prepare: the copy lacks the canary row.
    await backup({ canary: false });
    // Act
    const { run, record, restored, dns, alerts } = await failover(DRILL);
    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('FailoverDrillFailed');
    expect(run.states).toContain('Delete the drill copy and the shadow record');
    expect(run.states).not.toContain('Point the record back at the old target');
    expect(restored).toEqual([]);
    expect(await shadowRecord()).toBeUndefined();
    expect(dns).toBe(OLD_TARGET);
    expect(changedNames(run).every((name) => name === SHADOW)).toBe(true);
    expect(record?.json.status).toBe('drill-failed');
    expect(record?.json.summary).toContain('table lifeline_canary does not exist');
    const alert = alerts.find((a) => a.MessageAttributes?.['lifeline.kind']?.Value === 'failover-drill-failed');
    expect(alert?.Subject).toBe('Lifeline failover drill of orders: drill-failed');
    // A failed drill is not a failed failover: nothing pages as if clients were down.
    expect(alerts.some((a) => a.MessageAttributes?.['lifeline.kind']?.Value === 'failover-failed')).toBe(false);
  });

  it('a verification step that breaks still cleans up: the failure path deletes the copy and the shadow record', async () => {
    await backup();
    // The verification cannot read the login: its Lambda fails (after the shadow record points at the copy).
    const faults = [failWith('GetSecretValueCommand', 'AccessDeniedException', 'not allowed (injected)')];
    const { run, record, restored, dns } = await failover(DRILL, { faults });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('FailoverDrillFailed');
    expect(run.states).toContain('Delete the drill copy and the shadow record after the failure');
    expect(run.states).not.toContain('Delete the drill copy and the shadow record');
    expect(restored).toEqual([]);
    expect(await shadowRecord()).toBeUndefined();
    expect(dns).toBe(OLD_TARGET);
    expect(changedNames(run)).toEqual([SHADOW, SHADOW]);
    expect(record?.json).toMatchObject({
      status: 'drill-failed',
      error: { step: 'Verify the drill through the shadow name' },
      drill: { cleanup: { leaked: [], recordDeleted: '127.0.0.1' } },
    });
  });
});
