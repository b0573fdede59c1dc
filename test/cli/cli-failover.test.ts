import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DR_OUTPUT } from '../../infra/outputs';
import { PROJECT_ROOT } from '../../state-machines/lifeline-function';
import { asOperator, bridgeLambdaInvoke, createStacksWithOutputs, runCli, runStartedExecutions } from '../harness/cli';
import { needs } from '../harness/endpoint';
import type { Credentials } from '../harness/lambda-runtime';
import type { Delivered } from '../harness/local-aws';
import type { ScheduledEvent } from '../harness/run-workflow';
import { DR, failoverHarness, OLD_TARGET, ROUTE53_PENDING } from '../workflows/failover-harness';

/**
 * `lifeline failover start`, `approve`, `reject` and `follow` against moto: the failover runbook the CLI starts runs
 * in-process (runStartedExecutions) and waits for its approval; the person answering is the CLI itself, with the
 * token of the request paged through the alert topic.
 */
vi.setConfig({ testTimeout: 300_000 });
if (needs.reset) console.warn(`The CLI's failover tests are skipped: they need ${needs.reset}.`);

/**
 * A person who answers while the approval waits: the run's clock stands at `atSeconds` until `answered` resolves (the
 * test resolves it once the CLI's answer is in).
 */
function personAnswering(atSeconds: number) {
  let done: () => void = () => undefined;
  const answered = new Promise<void>((resolve) => (done = resolve));
  const event: ScheduledEvent = { atSeconds, run: () => answered };
  return { event, done };
}

/** The token of the approval request, once it was paged (polled: the run publishes it on its own). */
async function approvalToken(read: () => Promise<Delivered[]>): Promise<string> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const request = (await read()).find((m) => m.Subject?.includes('waits for approval'));
    const token = /"token":"([^"]+)"/.exec(request?.Message ?? '')?.[1];
    if (token) return token;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('no approval request was paged within 2 minutes');
}

describe.skipIf(needs.reset !== undefined)('lifeline failover, approve and reject against moto', () => {
  const { h, backup, record } = failoverHarness();
  let outputs: Record<string, Record<string, string>>;
  beforeAll(() => {
    bridgeLambdaInvoke(h.aws);
  });
  beforeEach(async () => {
    outputs = await createStacksWithOutputs(h.aws);
  });
  const startAs = (credentials: Credentials | undefined, ...extra: string[]) =>
    runCli(h.aws, ['failover', 'start', 'orders', '--scenario', 'region-outage', '--by', 'Sam', ...extra], {
      region: DR,
      ...(credentials ? { credentials } : {}),
    });
  const start = (...extra: string[]) => startAs(undefined, ...extra);

  it('starts a failover, approves it with the token of the request, and follows it to the switch', async () => {
    // Prepare: a verified DR copy; someone answers two minutes in.
    await backup();
    const read = await h.aws.subscribe(outputs['lifeline-dr']?.[DR_OUTPUT.alertsTopicArn] ?? '', DR);
    const person = personAnswering(120);
    const { runs } = runStartedExecutions(h.aws, {
      events: [person.event],
      faults: [ROUTE53_PENDING],
      environment: { LIFELINE_DNS_SERVERS: h.dns.server },
    });
    // The person holds only the deployed operator policy (judged at the end, as IAM would).
    const operator = await asOperator(h.aws);
    const { credentials } = operator;
    // Act
    const started = await startAs(credentials, '--json');
    const token = await approvalToken(read);
    const approved = await runCli(h.aws, ['approve', token, '--by', 'Dana', '--note', 'bridge call'], {
      region: DR,
      credentials,
    });
    person.done();
    const { executionArn } = JSON.parse(started.stdout) as { executionArn: string };
    const followed = await runCli(h.aws, ['follow', executionArn, '--interval', '0.2'], { region: DR, credentials });
    const again = await runCli(h.aws, ['--json', 'approve', token, '--by', 'Dana'], { region: DR });
    // Assess
    expect(started.code).toBe(0);
    expect(started.stderr).toBe('');
    expect(executionArn).toMatch(/^arn:aws:states:eu-west-1:\d{12}:execution:lifeline-failover:/);
    expect(approved).toEqual({ code: 0, stdout: 'Approved by Dana: the failover goes ahead.\n', stderr: '' });
    const run = await runs[0];
    expect(run?.status, run?.cause).toBe('SUCCEEDED');
    expect(followed.stderr).toBe('');
    expect(followed.code).toBe(0);
    const lines = followed.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '  Validate the failover request',
      '  Start the failover record',
      '  Pre-check and plan the recovery',
    ]);
    expect(lines).toContain('  Ask for approval');
    expect(lines).toContain('  Point the record at the recovered database');
    expect(followed.stdout).toMatch(/\nlifeline-failover SUCCEEDED in \d+ (s|min) \(14 steps\)\n/);
    expect(followed.stdout).toMatch(/\n {2}outcome +Failover of orders \(region-outage\)/);
    expect(followed.stdout).toMatch(/\n {2}record +s3:\/\/[^/]+\/failovers\/orders\/\d{4}-\d\d-\d\d\/[^/\s]+\.json\n/);
    expect(await record()).toBe('127.0.0.1');
    expect(operator.calls().map((c) => c.action)).toEqual(
      expect.arrayContaining([
        'StartExecution',
        'POST /2015-03-31/functions/lifeline-failover-command/invocations',
        'GetExecutionHistory',
      ]),
    );
    expect(await operator.judge()).toEqual([]);
    // The token was answered: a second answer is refused, as JSON, and says why.
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toEqual({
      error: 'ApprovalNotWaiting',
      message:
        'No failover waits for this token (TaskTimedOut): its approval timed out, was answered already, or the token is mistyped. Nothing was sent.',
    });
  });

  it('rejects a waiting failover as JSON; following it then shows the stop and exits 1', async () => {
    // Prepare
    await backup();
    const read = await h.aws.subscribe(outputs['lifeline-dr']?.[DR_OUTPUT.alertsTopicArn] ?? '', DR);
    const person = personAnswering(60);
    const { runs } = runStartedExecutions(h.aws, { events: [person.event] });
    // Act
    const started = await start();
    const token = await approvalToken(read);
    const rejected = await runCli(h.aws, ['--json', 'reject', token, '--by', 'Dana', '--note', 'primary is back'], {
      region: DR,
    });
    person.done();
    await runs[0];
    const executionArn = started.stdout.split('\n')[0]?.replace(/^Started the failover of orders: /, '') ?? '';
    const followed = await runCli(h.aws, ['follow', executionArn], { region: DR });
    // Assess
    expect(started.code).toBe(0);
    expect(started.stdout).toBe(
      `Started the failover of orders: ${executionArn}\nFollow it with: lifeline follow ${executionArn}\n`,
    );
    expect(rejected.code).toBe(0);
    expect(JSON.parse(rejected.stdout)).toEqual({
      message: 'Rejected by Dana: the failover stops; nothing was changed.',
    });
    expect(followed.code).toBe(1);
    expect(followed.stdout).toContain('  Stopped: the failover was rejected, nothing was changed\n');
    expect(followed.stdout).toMatch(/\nlifeline-failover FAILED in \d+ (s|min) \(\d+ steps\)\n/);
    expect(followed.stdout).toMatch(
      /\n {2}error +FailoverRejected: Failover of orders \(region-outage\) rejected; nothing was changed\. Rejected by Dana at \S+: primary is back\n/,
    );
    expect(await record()).toBe(OLD_TARGET);
  });

  it('refuses a token no failover waits for, and a bad answer, in sentences', async () => {
    // Act
    const unknown = await runCli(h.aws, ['approve', 'AQnot-a-token', '--by', 'Dana'], { region: DR });
    const nobody = await runCli(h.aws, ['reject', 'AQnot-a-token', '--by', ' '], { region: DR });
    const missing = await runCli(h.aws, ['approve'], { region: DR });
    // Assess
    expect(unknown).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'No failover waits for this token (InvalidToken): its approval timed out, was answered already, or the token is mistyped. Nothing was sent.\n',
    });
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toMatch(/^by: say who you are .*\. Nothing was sent\. Usage: \{"action":"approve"\|"reject"/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: missing required argument 'token'");
    expect(missing.stderr).toContain('Usage: lifeline approve [options] <token>');
  });

  it('follows a dry run to its plan, with nothing to approve', async () => {
    // Prepare
    await backup();
    const { runs } = runStartedExecutions(h.aws);
    // Act
    const cli = await start('--dry-run', '--follow', '--interval', '0.2');
    // Assess
    expect((await runs[0])?.status).toBe('SUCCEEDED');
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(
      /^Started the failover of orders: arn:aws:states:eu-west-1:\d{12}:execution:lifeline-failover:/,
    );
    expect(cli.stdout).toContain('\n  Is this a dry run?\n');
    expect(cli.stdout).not.toContain('Ask for approval');
    expect(cli.stdout).toMatch(/\nlifeline-failover SUCCEEDED in \d+ (s|min) \(\d+ steps\)\n/);
    expect(cli.stdout).toMatch(/\n {2}would change +1\. RDS RestoreDBInstanceFromDBSnapshot lifeline-orders-/);
    expect(cli.stdout).toMatch(
      /\n {2}outcome +Dry run of the failover of orders \(region-outage\): 4 change\(s\) planned/,
    );
    expect(cli.stdout).toMatch(/\n {2}record +s3:\/\/[^/]+\/failovers\/orders\/\d{4}-\d\d-\d\d\/[\w-]+\.json\n/);
    expect(await record()).toBe(OLD_TARGET);
    // The dry run's record is the preflight `status` counts, as the readiness probe does.
    const status = await runCli(h.aws, ['status', 'orders'], { region: DR });
    expect(status.stderr).toBe('');
    expect(status.stdout).toMatch(/\n {4}preflight +10\/10 {2}the last recovery-path preflight passed \d+ min ago\n/);
    expect(status.stdout).toMatch(/\n {4}failoverDrill +0\/15 {2}no failover drill on record\n/);
    // Its record, by the execution's name (found under the runbook, not the drill workflow), and as JSON.
    const executionArn = cli.stdout.split('\n')[0]?.replace(/^Started the failover of orders: /, '') ?? '';
    const html = join(mkdtempSync(join(tmpdir(), 'lifeline-failover-report-')), 'record.html');
    const text = await runCli(h.aws, ['report', executionArn.split(':').pop() ?? '', '--html', html], { region: DR });
    const json = await runCli(h.aws, ['--json', 'report', executionArn], { region: DR });
    mkdirSync(join(PROJECT_ROOT, 'test', '.out'), { recursive: true });
    writeFileSync(join(PROJECT_ROOT, 'test', '.out', 'lifeline-failover-report.txt'), text.stdout);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ {2}dry run +planned: Dry run of the failover of orders \(region-outage\)/);
    expect(text.stdout).toMatch(/\n {2}database +orders \(region-outage\)\n/);
    expect(text.stdout).toMatch(/\n {2}started +\S+ by Sam \(finished \S+\)\n/);
    expect(text.stdout).toMatch(/\n {2}recovery from +snapshot\n/);
    expect(text.stdout).toMatch(/\n {2}approval +not asked: a dry run changes nothing\n/);
    expect(text.stdout).not.toContain('DNS change submitted');
    expect(text.stdout).toMatch(/\n {2}would change +1\. RDS RestoreDBInstanceFromDBSnapshot lifeline-orders-/);
    expect(text.stdout).toMatch(/\n {2}record +s3:\/\/[^/]+\/failovers\/orders\/\d{4}-\d\d-\d\d\/[\w-]+\.json\n/);
    expect(readFileSync(html, 'utf8')).toContain('orders');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      location: expect.stringMatching(/^s3:\/\/[^/]+\/failovers\/orders\//),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      record: { database: 'orders', status: 'planned', dryRun: true, startedBy: 'Sam' },
    });
    // Step Functions forgets a closed execution after 90 days; its record is still found by its name.
    const bucket = outputs['lifeline-dr']?.[DR_OUTPUT.reportsBucketName];
    const s3 = h.aws.client(S3Client, DR);
    const stored = JSON.parse(json.stdout).record;
    for (const [suffix, body] of [
      ['.json', JSON.stringify({ ...stored, startedAt: '2026-01-05T10:00:00.000Z' })],
      ['.html', '<p>the record</p>'],
    ])
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `failovers/orders/2026-01-05/old-run${suffix}`, Body: body }),
      );
    const old = await runCli(h.aws, ['report', 'old-run'], { region: DR });
    expect(old.stderr).toBe('');
    expect(old.stdout).toMatch(/\n {2}started +2026-01-05T10:00:00\.000Z by Sam/);
    expect(old.stdout).toMatch(/\n {2}record +s3:\/\/[^/]+\/failovers\/orders\/2026-01-05\/old-run\.json\n/);
    // A name neither workflow has is said so.
    const none = await runCli(h.aws, ['report', 'no-such-run'], { region: DR });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /^No execution named no-such-run of the drill workflow or the failover runbook of lifeline, and no failover record so named/,
    );
  });
});
