import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { escalationConfig } from '../fixtures/configs';
import { createOrdersDatabase } from '../fixtures/production';
import { failWith, throttle } from '../harness/faults';
import { evaluateRun } from '../harness/iam-evaluation';
import { invokeBundled } from '../harness/lambda-runtime';
import { type Delivered, type LocalAws, startLocalAws } from '../harness/local-aws';
import { runWorkflow, type WorkflowRun } from '../harness/run-workflow';

const DR = 'eu-west-1';
const PRIMARY = 'eu-central-1';
const LEVELS = ['on-call', 'tech-lead', 'cto', 'management'] as const;

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws(escalationConfig());
});
afterAll(async () => aws?.stop());

/** A queue on each level's topic: what each level was sent. */
let inbox: Record<(typeof LEVELS)[number], () => Promise<Delivered[]>>;
beforeEach(async (test) => {
  await aws.fresh(test);
  const topics = Object.fromEntries(
    await Promise.all(
      LEVELS.map(async (level) => [
        level,
        await aws.subscribe(`arn:aws:sns:${DR}:123456789012:lifeline-page-${level}`, DR),
      ]),
    ),
  );
  inbox = topics as typeof inbox;
});

const T0 = Date.parse('2026-12-01T02:05:00Z');

/** A Lifeline function as Lambda runs it: the bundle, under its own role, at simulated `now`; its calls too. */
async function invoke(name: string, payload: unknown, now: () => number) {
  const fn = [...aws.cloud.functions.values()].find((f) => f.name === name);
  if (!fn) throw new Error(`no function ${name}`);
  const first = aws.cloud.wire.calls.length;
  const output = await invokeBundled(fn, payload, {
    generation: aws.cloud.generation,
    credentials: await aws.cloud.credentials(fn.roleArn),
    endpoint: aws.cloud.endpoint,
    now,
    environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
  });
  const calls = aws.cloud.wire.calls.slice(first).map((call) => ({ ...call, roleArn: fn.roleArn }));
  return { output: output as Record<string, unknown>, run: { calls } as unknown as WorkflowRun };
}

/** A backup failure alert as SNS hands it to the intake (a Lambda subscription of the primary alert topic). */
const failureAlert = (database = 'orders') => ({
  Records: [
    {
      EventSource: 'aws:sns',
      Sns: {
        TopicArn: `arn:aws:sns:${PRIMARY}:123456789012:lifeline-alerts`,
        Subject: `Lifeline backup failed for ${database}: Create the snapshot`,
        Message: `Lifeline backup of database "${database}" failed.\nStep: Create the snapshot\nError: SnapshotQuotaExceeded: the quota is used up\nWhat to do: Delete manual snapshots that are no longer needed, then re-run the backup.`,
        MessageAttributes: {
          'lifeline.kind': { Type: 'String', Value: 'backup-failed' },
          'lifeline.database': { Type: 'String', Value: database },
          'lifeline.execution': {
            Type: 'String',
            Value: `arn:aws:states:${PRIMARY}:123456789012:execution:lifeline-backup:run-1`,
          },
        },
      },
    },
  ],
});

const command = (payload: object, now: () => number) => invoke('lifeline-incident-command', payload, now);
const acknowledgeAt = (atSeconds: number, by = 'Dana') => ({
  atSeconds,
  run: async (now: () => number) => {
    await command({ action: 'acknowledge', incident: opened(), by }, now);
  },
});
let lastOpened: string | undefined;
const opened = () => {
  if (!lastOpened) throw new Error('no incident opened');
  return lastOpened;
};

/** Opens an incident from a failure alert at T0; returns the ladder's input as the intake started it. */
async function openIncident(): Promise<{ incident: string; start: string }> {
  const { output } = await invoke('lifeline-incident-intake', failureAlert(), () => T0);
  expect(output).toMatchObject({ opened: [expect.any(String)], joined: [] });
  lastOpened = (output.opened as string[])[0];
  const started = aws.cloud.stepFunctions.started.at(-1);
  return started?.input as { incident: string; start: string };
}

const ladder = () => aws.cloud.stateMachine('-escalation');

/**
 * The minute (after T0) in which each level was paged, from the incident's record: the simulated clock also runs on
 * with real time (a function's run, a retry's interval), seconds that a page's minute does not show.
 */
async function pagedOffsets(id: string): Promise<Array<[string, number]>> {
  const { Item } = await aws
    .client(DynamoDBClient, DR)
    .send(new GetItemCommand({ TableName: 'lifeline-incidents', Key: { pk: { S: `incident#${id}` } } }));
  return (Item?.paged?.L ?? []).map((p) => [
    p.M?.name?.S as string,
    Math.floor((Date.parse(p.M?.at?.S as string) - T0) / 60_000),
  ]);
}

describe('the escalation ladder, run as synthesized, in simulated time', () => {
  it('pages each level at its offset until someone acknowledges, then stops and tells those paged', async () => {
    // Prepare
    const input = await openIncident();
    expect(input).toEqual({ incident: 'orders-backup-failed-20261201-020500', start: 'on-call' });
    // Act: nobody answers the first two levels; Dana acknowledges 20 minutes in, while the tech lead is paged.
    const run = await runWorkflow(aws.cloud, ladder(), input, {
      startTime: new Date(T0),
      events: [acknowledgeAt(20 * 60)],
    });
    // Assess
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.states).toEqual(['Where does paging start?', 'Page on-call', 'Page tech-lead', 'Paging stopped']);
    expect(await pagedOffsets(opened())).toEqual([
      ['on-call', 0],
      ['tech-lead', 15],
    ]);
    const [page, notice] = await inbox['on-call']();
    expect(page?.Subject).toBe('[P2] Lifeline orders: backup failed: Create the snapshot');
    expect(page?.Message).toContain(
      'Paging level 1 of 4 (on-call). Unless someone acknowledges, tech-lead is paged at 2026-12-01 02:20 UTC.',
    );
    expect(page?.Message).toContain(
      `aws lambda invoke --region ${DR} --function-name lifeline-incident-command --cli-binary-format raw-in-base64-out --payload '{"action":"acknowledge","incident":"orders-backup-failed-20261201-020500","by":"YOUR NAME"}' /dev/stdout`,
    );
    expect(notice?.Message).toMatch(
      /^Acknowledged: incident orders-backup-failed-20261201-020500 .* by Dana at 2026-12-01 02:25 UTC\. Paging has stopped/,
    );
    expect((await inbox['tech-lead']()).map((m) => m.Subject)).toEqual([
      '[P2] Lifeline orders: backup failed: Create the snapshot',
      '[P2] Acknowledged by Dana: orders: backup failed: Create the snapshot',
    ]);
    expect(await inbox.cto()).toEqual([]);
    expect(await evaluateRun(aws, run)).toEqual([]);
  });

  it('climbs every level at its offset and pages the top again every 30 minutes while nobody answers', async () => {
    const input = await openIncident();
    const run = await runWorkflow(aws.cloud, ladder(), input, {
      startTime: new Date(T0),
      events: [acknowledgeAt(2 * 3600 + 40 * 60)],
    });
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(await pagedOffsets(opened())).toEqual([
      ['on-call', 0],
      ['tech-lead', 15],
      ['cto', 60],
      ['management', 120],
      ['management', 150],
    ]);
    const [first, again] = await inbox.management();
    expect(first?.Message).toContain(
      'This is the last level: it is paged again at 2026-12-01 04:35 UTC until someone acknowledges.',
    );
    expect(again?.Subject).toBe(first?.Subject);
  });

  it('stops when the incident is resolved, and tells every level paged that it is over', async () => {
    const input = await openIncident();
    const run = await runWorkflow(aws.cloud, ladder(), input, {
      startTime: new Date(T0),
      events: [
        {
          atSeconds: 10 * 60,
          run: async (now) => {
            const { output } = await command(
              { action: 'resolve', incident: opened(), by: 'Sam', note: 'old manual snapshots deleted, backup re-run' },
              now,
            );
            expect(output.message).toBe(`Resolved incident ${opened()}; those paged were told.`);
          },
        },
      ],
    });
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect((run.output as { outcome: unknown }).outcome).toEqual({ outcome: 'resolved', by: 'Sam' });
    const [, resolved] = await inbox['on-call']();
    expect(resolved?.Message).toContain(
      'was resolved at 2026-12-01 02:15 UTC by Sam: old manual snapshots deleted, backup re-run',
    );
    expect(await inbox['tech-lead']()).toEqual([]);
    // Resolved: a new failure of the same database opens a new incident.
    const { output } = await invoke('lifeline-incident-intake', failureAlert(), () => T0 + 3600_000);
    expect(output).toMatchObject({ opened: ['orders-backup-failed-20261201-030500'] });
  });

  it('joins a repeated failure to the open incident instead of paging again', async () => {
    await openIncident();
    const again = await invoke('lifeline-incident-intake', failureAlert(), () => T0 + 5 * 60_000);
    expect(again.output).toMatchObject({ opened: [], joined: [opened()] });
    expect(aws.cloud.stepFunctions.started).toHaveLength(1);
    const listed = await command({ action: 'list' }, () => T0 + 6 * 60_000);
    expect(listed.output.incidents).toEqual([
      expect.objectContaining({ id: opened(), status: 'open', severity: 'P2' }),
    ]);
    // Another database's failure is another incident.
    const other = await invoke('lifeline-incident-intake', failureAlert('ledger'), () => T0 + 7 * 60_000);
    expect(other.output).toMatchObject({ opened: ['ledger-backup-failed-20261201-021200'] });
    expect(await evaluateRun(aws, again.run)).toEqual([]);
  });

  it('retries a page SNS throttles, in the bundled SDK and then in the state', async () => {
    const input = await openIncident();
    const run = await runWorkflow(aws.cloud, ladder(), input, {
      startTime: new Date(T0),
      faults: [throttle('PublishCommand', 4)],
      events: [acknowledgeAt(60)],
    });
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.faults[0]?.fired).toBe(4);
    expect(run.retries['Page on-call']).toBe(1);
    // Paged once, recorded once.
    expect(await pagedOffsets(opened())).toEqual([['on-call', 0]]);
    expect((await inbox['on-call']()).length).toBe(2);
  });

  it('starts an incident at the level its severity names: a P1 alarm at the tech lead', async () => {
    const { output } = await invoke(
      'lifeline-incident-intake',
      {
        Records: [
          {
            EventSource: 'aws:sns',
            Sns: {
              Message: JSON.stringify({
                AlarmName: 'lifeline-orders-no-recent-copy',
                AlarmDescription: 'orders has no verified DR copy. First: look at the latest backups.',
                NewStateValue: 'ALARM',
                NewStateReason: 'Threshold Crossed: 2 datapoints were greater than the threshold (86400.0).',
                StateChangeTime: '2026-12-01T02:05:00.000+0000',
                AlarmArn: `arn:aws:cloudwatch:${DR}:123456789012:alarm:lifeline-orders-no-recent-copy`,
              }),
            },
          },
        ],
      },
      () => T0,
    );
    expect(output).toMatchObject({ opened: ['orders-no-recent-copy-20261201-020500'] });
    // no-recent-copy is P1, which the config starts at tech-lead (a P2 backup failure starts at on-call, above).
    const input = aws.cloud.stepFunctions.started.at(-1)?.input;
    expect(input).toEqual({ incident: 'orders-no-recent-copy-20261201-020500', start: 'tech-lead' });
    lastOpened = 'orders-no-recent-copy-20261201-020500';
    const run = await runWorkflow(aws.cloud, ladder(), input, { startTime: new Date(T0), events: [acknowledgeAt(60)] });
    expect(run.states).toEqual(['Where does paging start?', 'Page tech-lead', 'Paging stopped']);
    const [page] = await inbox['tech-lead']();
    expect(page?.Subject).toBe(
      '[P1] Lifeline orders: no verified DR copy within the RPO (a restore from the DR region would los...',
    );
    expect(page?.Message).toContain('What to do first: look at the latest backups.');
    expect(page?.Message).toContain(
      `Alarm: https://${DR}.console.aws.amazon.com/cloudwatch/home?region=${DR}#alarmsV2:alarm/lifeline-orders-no-recent-copy`,
    );
    expect(await inbox['on-call']()).toEqual([]);
  });
});

describe('incidents that close themselves', () => {
  it('resolves a backup incident once a verified DR copy taken after it opened exists, and not before', async () => {
    await openIncident();
    const older = await invoke(
      'lifeline-incident-intake',
      { copies: [{ database: 'orders', takenAt: '2026-12-01T02:00:00.000Z' }] },
      () => T0 + 60_000,
    );
    expect(older.output).toMatchObject({ resolved: [] });
    const newer = await invoke(
      'lifeline-incident-intake',
      { copies: [{ database: 'orders', takenAt: '2026-12-02T02:00:00.000Z' }] },
      () => T0 + 86_400_000,
    );
    expect(newer.output).toMatchObject({ resolved: [opened()] });
    expect((await command({ action: 'list' }, () => T0 + 86_400_000)).output.incidents).toEqual([]);
    expect(await evaluateRun(aws, newer.run)).toEqual([]);
  });

  it('resolves the drill incidents of a database when a drill of it passes, not those of another', async () => {
    const drillAlarm = (database: string) => ({
      Records: [{ Sns: JSON.parse(JSON.stringify(alarmOf(`lifeline-${database}-drill-failed`, 'ALARM'))) }],
    });
    const opened1 = (await invoke('lifeline-incident-intake', drillAlarm('orders'), () => T0)).output
      .opened as string[];
    const opened2 = (await invoke('lifeline-incident-intake', drillAlarm('ledger'), () => T0)).output
      .opened as string[];
    const drill = aws.cloud.stateMachine('-drill').arn;
    const passed = await invoke(
      'lifeline-incident-intake',
      {
        'detail-type': 'Step Functions Execution Status Change',
        detail: {
          status: 'SUCCEEDED',
          stateMachineArn: drill,
          input: '{"database":"orders"}',
          executionArn: `${drill}:d-1`,
        },
      },
      () => T0 + 3600_000,
    );
    expect(passed.output).toMatchObject({ resolved: opened1 });
    const open = (await command({ action: 'list' }, () => T0 + 3600_000)).output.incidents as { id: string }[];
    expect(open.map((i) => i.id)).toEqual(opened2);
  });

  it('resolves drill incidents from the passes the objectives probe finds on record, only those opened before', async () => {
    const delivery = { Records: [{ Sns: alarmOf('lifeline-orders-drill-rto-missed', 'ALARM') }] };
    const opened1 = (await invoke('lifeline-incident-intake', delivery, () => T0)).output.opened as string[];
    const before = await invoke(
      'lifeline-incident-intake',
      { drillsPassed: [{ database: 'orders', passedAt: '2026-12-01T01:00:00.000Z' }] },
      () => T0 + 60_000,
    );
    expect(before.output).toMatchObject({ resolved: [] });
    const after = await invoke(
      'lifeline-incident-intake',
      { drillsPassed: [{ database: 'orders', passedAt: '2026-12-01T06:00:00.000Z' }] },
      () => T0 + 6 * 3600_000,
    );
    expect(after.output).toMatchObject({ resolved: opened1 });
  });

  it("resolves a bucket's replication incidents that a later verification no longer finds, and keeps those it does", async () => {
    const replicationAlert = (kind: string) => ({
      Records: [
        {
          EventSource: 'aws:sns',
          Sns: {
            TopicArn: `arn:aws:sns:eu-west-1:123456789012:lifeline-dr-alerts`,
            Subject: `Lifeline: ${kind} of archive`,
            Message: `The replica of archive: ${kind}`,
            MessageAttributes: {
              'lifeline.kind': { Type: 'String', Value: kind },
              'lifeline.database': { Type: 'String', Value: 'archive' },
              'lifeline.execution': { Type: 'String', Value: 'arn:aws:states:eu-west-1:123456789012:execution:v:1' },
            },
          },
        },
      ],
    });
    const [discrepancy] = (
      await invoke('lifeline-incident-intake', replicationAlert('replication-discrepancy'), () => T0)
    ).output.opened as string[];
    const [late] = (await invoke('lifeline-incident-intake', replicationAlert('replication-late'), () => T0)).output
      .opened as string[];
    // The next day's run still finds discrepancies, but nothing late: only the late incident closes.
    const stillMissing = await invoke(
      'lifeline-incident-intake',
      {
        bucketsVerified: [
          { bucket: 'archive', verifiedAt: '2026-12-02T00:00:00.000Z', discrepancies: true, late: false },
        ],
      },
      () => T0 + 86_400_000,
    );
    expect(stillMissing.output).toMatchObject({ resolved: [late] });
    // A run before the incident opened closes nothing; a clean one after it closes the discrepancy too.
    const earlier = await invoke(
      'lifeline-incident-intake',
      {
        bucketsVerified: [
          { bucket: 'archive', verifiedAt: '2026-11-30T00:00:00.000Z', discrepancies: false, late: false },
        ],
      },
      () => T0 + 86_400_000,
    );
    expect(earlier.output).toMatchObject({ resolved: [] });
    const clean = await invoke(
      'lifeline-incident-intake',
      {
        bucketsVerified: [
          { bucket: 'archive', verifiedAt: '2026-12-03T00:00:00.000Z', discrepancies: false, late: false },
        ],
      },
      () => T0 + 2 * 86_400_000,
    );
    expect(clean.output).toMatchObject({ resolved: [discrepancy] });
    const open = (await command({ action: 'list' }, () => T0 + 2 * 86_400_000)).output.incidents as { id: string }[];
    expect(open.map((i) => i.id)).not.toContain(discrepancy);
  });

  it('resolves an alarm incident when the alarm returns to OK', async () => {
    const delivery = (state: string) => ({ Records: [{ Sns: alarmOf('lifeline-orders-no-recent-copy', state) }] });
    const first = await invoke('lifeline-incident-intake', delivery('ALARM'), () => T0);
    const ok = await invoke('lifeline-incident-intake', delivery('OK'), () => T0 + 1800_000);
    expect(ok.output).toMatchObject({ resolved: first.output.opened });
  });
});

/** A CloudWatch alarm notification as SNS carries it. */
function alarmOf(name: string, state: string) {
  return {
    Message: JSON.stringify({
      AlarmName: name,
      AlarmDescription: 'A Lifeline alarm. First: read it.',
      NewStateValue: state,
      NewStateReason: 'test',
      StateChangeTime: '2026-12-01T02:05:00.000+0000',
      AlarmArn: `arn:aws:cloudwatch:${DR}:123456789012:alarm:${name}`,
    }),
  };
}

describe('from a failed backup to the first page', () => {
  it('carries what broke from the failure path through the alert topic to the page', async () => {
    await createOrdersDatabase(aws);
    const alerts = await aws.subscribe(`arn:aws:sns:${PRIMARY}:123456789012:lifeline-alerts`, PRIMARY);
    // Act: the backup fails at its snapshot; its failure alert goes to the alert topic, which delivers to the intake.
    const backup = await runWorkflow(
      aws.cloud,
      aws.cloud.stateMachine('-backup'),
      { database: 'orders', scheduledTime: '2026-12-01T02:00:00Z' },
      { faults: [failWith('CreateDBSnapshotCommand', 'SnapshotQuotaExceeded', 'quota reached')] },
    );
    expect(backup.status).toBe('FAILED');
    const [delivered] = await alerts();
    if (!delivered) throw new Error('no failure alert');
    expect(delivered.MessageAttributes).toMatchObject({
      'lifeline.kind': { Value: 'backup-failed' },
      'lifeline.database': { Value: 'orders' },
      'lifeline.execution': { Value: backup.executionArn },
    });
    const failedAt = Date.parse('2026-12-01T02:00:00Z') + backup.simulatedSeconds * 1000;
    const { output } = await invoke(
      'lifeline-incident-intake',
      { Records: [{ EventSource: 'aws:sns', Sns: delivered }] },
      () => failedAt,
    );
    lastOpened = (output.opened as string[])[0];
    const run = await runWorkflow(aws.cloud, ladder(), aws.cloud.stepFunctions.started.at(-1)?.input, {
      startTime: new Date(failedAt),
      events: [acknowledgeAt(60)],
    });
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const [page] = await inbox['on-call']();
    expect(page?.Message).toContain('What to do first: Delete manual snapshots that are no longer needed');
    expect(page?.Message).toContain(
      `Execution: https://${PRIMARY}.console.aws.amazon.com/states/home?region=${PRIMARY}#/v2/executions/details/${backup.executionArn}`,
    );
  });
});
