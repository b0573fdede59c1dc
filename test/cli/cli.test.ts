import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillHistory } from '../../functions/drill/history';
import { DR_OUTPUT } from '../../infra/outputs';
import { PROJECT_ROOT } from '../../state-machines/lifeline-function';
import { baseConfig } from '../fixtures/configs';
import { createDrillSecret, createOrdersDatabase } from '../fixtures/production';
import { seedOrders } from '../fixtures/sample-data';
import { asOperator, bridgeLambdaInvoke, createStacksWithOutputs, runCli, runStartedExecutions } from '../harness/cli';
import { LocalDataPlane } from '../harness/data-plane';
import { EXTERNAL_ENDPOINT, needs } from '../harness/endpoint';
import { faultInterceptor, throttle } from '../harness/faults';
import { type LocalAws, startLocalAws } from '../harness/local-aws';
import { freePort } from '../harness/ports';

/**
 * The `lifeline` bin against moto: the synthesized stacks "deployed" by the harness, CloudFormation stacks with
 * their outputs made for the CLI to find (createStacksWithOutputs), executions it starts run in-process.
 */
let aws: LocalAws;
let plane: LocalDataPlane;
let outputs: Record<string, Record<string, string>>;
const DR = 'eu-west-1';
const PRIMARY = 'eu-central-1';
/** The drill the CLI started and followed, for the tests of what comes after. */
let drillExecution = '';

beforeAll(async () => {
  aws = await startLocalAws(baseConfig());
  // The production database behind orders: its snapshots keep it, the drill restores and checks it.
  plane = await LocalDataPlane.start((db) => seedOrders(db));
  await createOrdersDatabase(aws);
  await createDrillSecret(aws, 'orders');
  outputs = await createStacksWithOutputs(aws);
  bridgeLambdaInvoke(aws);
}, 600_000);
afterAll(async () => {
  await plane?.stop();
  await aws?.stop();
});

describe(`lifeline against ${EXTERNAL_ENDPOINT ?? 'moto'}`, () => {
  // Where a test is skipped against another endpoint, this says why (vitest shows no reason for skipIf).
  if (needs.iam) console.warn(`The tests of denied access are skipped: they need ${needs.iam}.`);

  it('starts a backup and follows it to the end, step by step, then the summary', async () => {
    // Prepare
    const { runs } = runStartedExecutions(aws);
    // Act
    const cli = await runCli(aws, ['backup', 'start', 'orders', '--follow', '--interval', '0.2'], { region: PRIMARY });
    mkdirSync(join(PROJECT_ROOT, 'test', '.out'), { recursive: true });
    writeFileSync(join(PROJECT_ROOT, 'test', '.out', 'lifeline-backup-follow.txt'), cli.stdout);
    // Assess
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(runs).toHaveLength(1);
    expect((await runs[0])?.status).toBe('SUCCEEDED');
    const lines = cli.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^Started the backup of orders: arn:aws:states:eu-central-1:\d{12}:execution:lifeline-backup:/,
    );
    expect(lines).toContain('  Create the snapshot');
    expect(lines).toContain('  Copy the snapshot to the DR region');
    // Each step once, however often it was entered.
    expect(new Set(lines).size).toBe(lines.length);
    expect(cli.stdout).toMatch(/\nlifeline-backup SUCCEEDED in \d+ (s|min)/);
    expect(cli.stdout).toMatch(/ {2}snapshot +lifeline-orders-\d{8}t\d{4}\n/);
  }, 300_000);

  it('shows the status of a database: its newest verified copy, last drill, alarms and readiness parts', async () => {
    // Prepare: the backup above made a verified DR copy; a drill on record a day ago.
    const startedAt = new Date(Date.now() - 86_400_000).toISOString();
    const history: DrillHistory = {
      database: 'orders',
      generation: 1,
      timeZone: 'UTC',
      drills: [
        {
          drillId: 'lifeline-drill-orders-0a1b2c3d',
          execution: 'arn:aws:states:eu-west-1:123456789012:execution:lifeline-drill:monthly',
          startedAt,
          finishedAt: startedAt,
          status: 'passed',
          summary: 'Drill of orders passed',
          trigger: { type: 'manual', startedBy: 'dana' },
          rto: { outcome: 'met', measuredSeconds: 720, objectiveSeconds: 3600 },
          rpo: { outcome: 'met', measuredSeconds: 3600, objectiveSeconds: 86_400 },
          report: { json: 'drills/orders/x/y.json', html: 'drills/orders/x/y.html', link: null },
        },
      ],
    };
    const bucket = outputs['lifeline-dr']?.[DR_OUTPUT.reportsBucketName];
    await aws
      .client(S3Client, DR)
      .send(new PutObjectCommand({ Bucket: bucket, Key: 'history/orders/index.json', Body: JSON.stringify(history) }));
    // Act
    const cli = await runCli(aws, ['status', 'orders'], { region: DR });
    // Kept as a sample of the output, for the docs.
    mkdirSync(join(PROJECT_ROOT, 'test', '.out'), { recursive: true });
    writeFileSync(join(PROJECT_ROOT, 'test', '.out', 'lifeline-status.txt'), cli.stdout);
    // Assess
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^lifeline: primary eu-central-1, DR eu-west-1, at \d{4}-\d\d-\d\d \d\d:\d\d UTC\n/);
    expect(cli.stdout).toMatch(
      /\norders {2}readiness \d+\/100 \(floor \d+; none published by the readiness probe in the last 24 h\)\n/,
    );
    expect(cli.stdout).toMatch(/newest DR copy +lifeline-orders-\d{8}t\d{4}, \d+ s old \(RPO 1 d\): within\n/);
    expect(cli.stdout).toMatch(/last drill +passed .* \(1 d ago\), RTO 12 min, RPO 1 h\n/);
    expect(cli.stdout).toContain('alarms          none in ALARM');
    expect(cli.stdout).toMatch(/copyAge +30\/30 {2}newest verified DR copy is \d+ min old, within the RPO of 24 h/);
    expect(cli.stdout).toMatch(/drill +25\/25 {2}the last restore drill passed 24 h ago/);
    expect(cli.stdout).toContain('Nothing needs attention.');
  }, 120_000);

  it('gives the status as JSON, and exits 1 when a database needs attention', async () => {
    // Prepare: the readiness probe published a score for orders an hour ago.
    const publishedAt = new Date(Date.now() - 3_600_000);
    await aws.client(CloudWatchClient, DR).send(
      new PutMetricDataCommand({
        Namespace: 'Lifeline',
        MetricData: [
          {
            MetricName: 'ReadinessScore',
            Dimensions: [{ Name: 'database', Value: 'orders' }],
            Timestamp: publishedAt,
            Value: 55,
          },
        ],
      }),
    );
    // Act
    const cli = await runCli(aws, ['--json', 'status'], { region: PRIMARY });
    // Assess: the cluster was never backed up.
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(1);
    const status = JSON.parse(cli.stdout);
    expect(status).toMatchObject({ installation: 'lifeline', primaryRegion: PRIMARY, drRegion: DR });
    expect(status.databases.map((d: { id: string }) => d.id)).toEqual(['orders', 'ledger']);
    expect(status.databases[0].newestCopy).toMatchObject({ withinRpo: true });
    expect(status.databases[0].readiness.parts.map((p: { name: string }) => p.name)).toContain('copyAge');
    expect(status.databases[0].readiness.floor).toEqual(expect.any(Number));
    expect(status.databases[0].publishedReadiness).toEqual({ score: 55, at: expect.any(String) });
    expect(Math.abs(Date.parse(status.databases[0].publishedReadiness.at) - publishedAt.getTime())).toBeLessThan(
      300_000,
    );
    expect(status.databases[1].publishedReadiness).toBeNull();
    expect(status.databases[1].newestCopy).toBeNull();
    expect(status.findings).toContain('ledger: no verified DR copy');
  }, 120_000);

  it("rolls up the month's evidence through the deployed function and prints what it stored", async () => {
    // Prepare: the backup above ran this month; the drill on record a day ago may be in it too.
    const month = new Date().toISOString().slice(0, 7);
    // Act
    const cli = await runCli(aws, ['evidence', '--month', month], { region: DR });
    const json = await runCli(aws, ['--json', 'evidence', '--month', month], { region: DR });
    // Assess
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`^Evidence of lifeline for ${month} \\(`));
    expect(cli.stdout).toMatch(/ {2}backups +[1-9]\d* succeeded, 0 failed\n/);
    expect(cli.stdout).toMatch(
      new RegExp(
        `stored +s3://${outputs['lifeline-dr']?.[DR_OUTPUT.reportsBucketName]}/evidence/month/${month}\\.json \\(SHA-256 [0-9a-f]{64}\\)`,
      ),
    );
    const parsed = JSON.parse(json.stdout);
    // The retention of the DR copies is checked: orders has its copy from the backup above.
    const orders = parsed.rollup.databases.find((d: { id: string }) => d.id === 'orders');
    expect(orders.retention).toMatchObject({ kept: expect.any(Number), expected: expect.any(Number), beyond: 0 });
    expect(orders.retention.kept).toBeGreaterThan(0);
    expect(parsed.stored.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.rollup.records.every((r: { sha256: string }) => /^[0-9a-f]{64}$/.test(r.sha256))).toBe(true);
  }, 180_000);

  it('says plainly that there are no incidents to acknowledge in an installation without escalation', async () => {
    const ack = await runCli(aws, ['ack', 'inc-1', '--by', 'dana'], { region: DR });
    expect(ack.code).toBe(3);
    expect(ack.stdout).toBe('');
    expect(ack.stderr).toBe(
      'The installation lifeline has no incident sink (no escalation in its config): there are no incidents to acknowledge. Add escalation to the config and deploy lifeline-dr.\n',
    );
  }, 60_000);

  it('refuses an unknown failover scenario with the usage, and says when the installation has no failover', async () => {
    const scenario = await runCli(aws, ['failover', 'start', 'orders', '--scenario', 'flood'], { region: DR });
    expect(scenario.code).toBe(2);
    expect(scenario.stderr).toContain("error: option '--scenario <scenario>' argument 'flood' is invalid");
    expect(scenario.stderr).toContain('region-outage, database-corruption, ransomware');
    const none = await runCli(aws, ['failover', 'start', 'orders', '--scenario', 'region-outage', '--dry-run'], {
      region: DR,
    });
    expect(none.code).toBe(3);
    expect(none.stderr).toBe(
      'The installation lifeline has no failover (no failover section in its config). Add failover to the config and deploy lifeline-dr.\n',
    );
  }, 120_000);

  it('says which stacks it looked for, and where, when none is deployed', async () => {
    const cli = await runCli(aws, ['--name', 'shop', 'status'], { region: DR });
    expect(cli.code).toBe(3);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toBe(
      'No Lifeline stack found: looked for shop-dr in eu-west-1 and shop-primary in eu-west-1. Deploy the installation first (cdk deploy shop-dr shop-primary), or point at it with --name <name> and --region <its DR or primary region> (or AWS_REGION).\n',
    );
  }, 60_000);

  it('shows the usage and exits 2 on a bad command line, and refuses an unknown database', async () => {
    const missing = await runCli(aws, ['drill', 'start'], { region: DR });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: missing required argument 'db'");
    expect(missing.stderr).toContain('Usage: lifeline drill start [options] <db>');
    const unknown = await runCli(aws, ['drill', 'start', 'payments'], { region: DR });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'No database "payments" in the installation lifeline: its databases are orders, ledger.\n',
    );
    const point = await runCli(aws, ['drill', 'start', 'orders', '--point', '2020-01-01T00:00:00Z'], { region: DR });
    expect(point.code).toBe(2);
    expect(point.stderr).toMatch(
      /^The drill request is not valid, nothing was started: recoveryPoint.time: 2020-01-01T00:00:00Z is more than 35 days before/,
    );
  }, 120_000);

  it.skipIf(needs.iam !== undefined)(
    'says which call was denied to whom, and exits 3',
    async () => {
      // Prepare: a user with no permissions at all.
      const iam = aws.client(IAMClient, 'us-east-1');
      await iam.send(new CreateUserCommand({ UserName: 'nobody' }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'nobody' }))).AccessKey;
      // Act
      const cli = await runCli(aws, ['status'], {
        region: DR,
        credentials: { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' },
      });
      // Assess
      expect(cli.code).toBe(3);
      expect(cli.stderr).toMatch(
        /^Access denied: (arn:aws:iam::\d{12}:user\/nobody|your credentials) may not call cloudformation:DescribeStacks in eu-west-1\. Allow cloudformation:DescribeStacks on that role/,
      );
    },
    60_000,
  );

  it('starts a drill and follows it to the end in plain lines when not on a terminal, then says where its report is', async () => {
    // Prepare: the backup above made the verified DR copy the drill restores.
    const { runs } = runStartedExecutions(aws);
    // Act
    const cli = await runCli(aws, ['drill', 'start', 'orders', '--follow', '--interval', '0.2', '--by', 'dana'], {
      region: DR,
    });
    // Assess
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(runs).toHaveLength(1);
    expect((await runs[0])?.status).toBe('SUCCEEDED');
    const lines = cli.stdout.split('\n');
    expect(lines[0]).toMatch(/^Started the drill of orders: arn:aws:states:eu-west-1:\d{12}:execution:lifeline-drill:/);
    expect(lines).toContain('  Restore the recovery point into the isolated subnets');
    // Not a terminal: plain lines, no line rewritten in place, each step once.
    expect(cli.stdout).not.toContain('\r');
    expect(cli.stdout).not.toContain('\u001b[');
    expect(new Set(lines).size).toBe(lines.length);
    expect(cli.stdout).toMatch(/\nlifeline-drill SUCCEEDED in \d+ (s|min) \(\d+ steps\)\n/);
    expect(cli.stdout).toMatch(
      / {2}report +s3:\/\/[^/]+\/drills\/orders\/\d{4}-\d\d-\d\d\/lifeline-drill-orders-[0-9a-f]{8}\.json\n/,
    );
    drillExecution = lines[0]?.replace(/^Started the drill of orders: /, '') ?? '';
  }, 300_000);

  it("prints a drill's record by its execution name, gives it as JSON by its ARN, and writes its HTML", async () => {
    // Prepare
    const name = drillExecution.split(':').pop() ?? '';
    const html = join(mkdtempSync(join(tmpdir(), 'lifeline-report-')), 'report.html');
    // Act
    const text = await runCli(aws, ['report', name, '--html', html], { region: DR });
    const json = await runCli(aws, ['--json', 'report', drillExecution], { region: DR });
    // Assess
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ {2}drill +passed: /);
    expect(text.stdout).toMatch(/\n {2}database +orders \(orders-prod, postgres[^)]*\)\n/);
    expect(text.stdout).toMatch(/\n {2}recovery point +latest-copy lifeline-orders-\d{8}t\d{4}\n/);
    expect(text.stdout).toMatch(/\n {2}RTO +\d+ (s|min) \(objective 1 h\): met\n/);
    expect(text.stdout).toMatch(/\n {2}cleanup +deleted lifeline-drill-orders-[0-9a-f]{8}; nothing left behind\n/);
    expect(text.stdout).toMatch(/\n {2}report +s3:\/\/[^/]+\/drills\/orders\/[^ ]+\.json\n/);
    expect(text.stdout).toContain(`\nThe HTML report is in ${html}.\n`);
    expect(readFileSync(html, 'utf8')).toContain('Drill of orders: <span class="ok">passed</span>');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({
      location: expect.stringMatching(/^s3:\/\/[^/]+\/drills\/orders\//),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      report: { database: 'orders', status: 'passed', trigger: { type: 'manual', startedBy: 'dana' } },
    });
  }, 120_000);

  it('gives a start, a follow and a followed drill as one JSON document on stdout, the progress on stderr', async () => {
    // Prepare
    const { runs } = runStartedExecutions(aws);
    // Act
    const started = await runCli(aws, ['--json', 'backup', 'start', 'orders'], { region: PRIMARY });
    const followed = await runCli(aws, ['--json', 'drill', 'start', 'orders', '--follow', '--interval', '0.2'], {
      region: DR,
    });
    const again = await runCli(aws, ['--json', 'follow', drillExecution], { region: DR });
    await Promise.all(runs);
    // Assess
    expect(started.code).toBe(0);
    expect(started.stderr).toBe('');
    expect(JSON.parse(started.stdout)).toMatchObject({
      executionArn: expect.stringMatching(/^arn:aws:states:eu-central-1:\d{12}:execution:lifeline-backup:/),
      startDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      input: { database: 'orders' },
    });
    expect(followed.code).toBe(0);
    expect(followed.stderr).toMatch(/^Started the drill of orders: arn:aws:states:eu-west-1:/);
    expect(followed.stderr).toContain('\n  Restore the recovery point into the isolated subnets\n');
    const drill = JSON.parse(followed.stdout);
    expect(drill).toMatchObject({
      status: 'SUCCEEDED',
      durationSeconds: expect.any(Number),
      report: { json: expect.stringMatching(/^s3:\/\/[^/]+\/drills\/orders\/.+\.json$/) },
    });
    expect(drill.steps).toContain('Restore the recovery point into the isolated subnets');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('\n  Restore the recovery point into the isolated subnets\n');
    expect(JSON.parse(again.stdout)).toMatchObject({ executionArn: drillExecution, status: 'SUCCEEDED' });
  }, 300_000);

  it('says AWS is throttling which call, after the retries, and exits 3; with --json the error is the document', async () => {
    // Prepare: CloudFormation throttles every DescribeStacks.
    const forget = aws.wire.use(
      faultInterceptor([{ ...throttle('DescribeStacksCommand', Number.POSITIVE_INFINITY), fired: 0 }], Date.now),
    );
    // Act
    const text = await runCli(aws, ['status'], { region: DR });
    const json = await runCli(aws, ['--json', 'status'], { region: DR }).finally(forget);
    // Assess
    const sentence =
      "AWS is throttling cloudformation:DescribeStacks in eu-west-1 (Throttling), even after the SDK's retries: wait a minute and try again; if it persists, something else in the account is calling it hard.";
    expect(text.code).toBe(3);
    expect(text.stdout).toBe('');
    expect(text.stderr).toBe(`${sentence}\n`);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toEqual({ error: sentence, exitCode: 3 });
  }, 60_000);

  it.skipIf(needs.iam !== undefined)(
    'names the later call that was denied: a reader of the stacks who may not read the reports',
    async () => {
      // Prepare: a user who may find the installation and describe executions, but not read the reports bucket.
      const iam = aws.client(IAMClient, 'us-east-1');
      await iam.send(new CreateUserCommand({ UserName: 'stack-reader' }));
      await iam.send(
        new PutUserPolicyCommand({
          UserName: 'stack-reader',
          PolicyName: 'stacks',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: ['cloudformation:DescribeStacks', 'states:DescribeExecution'], Resource: '*' },
            ],
          }),
        }),
      );
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'stack-reader' }))).AccessKey;
      // Act
      const cli = await runCli(aws, ['report', drillExecution], {
        region: DR,
        credentials: { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' },
      });
      // Assess
      expect(cli.code).toBe(3);
      expect(cli.stdout).toBe('');
      expect(cli.stderr).toMatch(
        /^Access denied: (arn:aws:iam::\d{12}:user\/stack-reader|your credentials) may not call s3:GetObject in eu-west-1\. Allow s3:GetObject on that role \(or use AWS_PROFILE with a role that has it\) and try again\.\n$/,
      );
    },
    60_000,
  );

  it('says AWS could not be reached, naming AWS_ENDPOINT_URL, when the endpoint it gives answers nothing', async () => {
    // Prepare: the CLI's only way to the harness is AWS_ENDPOINT_URL; a closed port stands for a stopped emulator.
    const closed = `http://127.0.0.1:${await freePort()}`;
    // Act
    const cli = await runCli(aws, ['status'], { region: DR, endpoint: closed });
    // Assess
    expect(cli.code).toBe(3);
    expect(cli.stderr).toBe(
      `AWS could not be reached for cloudformation:DescribeStacks in eu-west-1 (ECONNREFUSED): check the network and AWS_ENDPOINT_URL (${closed}), then try again.\n`,
    );
  }, 60_000);

  it('says where to get credentials when there are none', async () => {
    const cli = await runCli(aws, ['status'], { region: DR, credentials: null });
    expect(cli.code).toBe(3);
    expect(cli.stderr).toMatch(
      /^No AWS credentials were found for cloudformation:DescribeStacks in eu-west-1: set AWS_PROFILE/,
    );
  }, 60_000);

  it('lets an operator holding only the deployed <name>-operator policy run status, report, evidence and a backup', async () => {
    // Prepare: judged on the resources of every call, by the synthesized operator policy alone.
    const operator = await asOperator(aws);
    const { credentials } = operator;
    const { runs } = runStartedExecutions(aws);
    // Act
    const month = new Date().toISOString().slice(0, 7);
    const commands = [
      { args: ['status'], region: DR },
      { args: ['report', drillExecution], region: DR },
      { args: ['evidence', '--month', month], region: DR },
      { args: ['backup', 'start', 'orders', '--follow', '--interval', '0.2'], region: PRIMARY },
    ];
    const ran = [];
    for (const { args, region } of commands) ran.push(await runCli(aws, args, { region, credentials }));
    await Promise.all(runs);
    // Assess
    expect(ran.map((r) => r.stderr)).toEqual(['', '', '', '']);
    const calls = operator.calls();
    expect([...new Set(calls.map((c) => `${c.service}:${c.action}`))].sort()).toEqual(
      [
        'cloudformation:DescribeStacks',
        'monitoring:DescribeAlarms',
        'monitoring:GetMetricStatistics',
        'rds:DescribeDBSnapshots',
        'rds:DescribeDBClusterSnapshots',
        's3:GetObject',
        'states:DescribeExecution',
        // The CLI's Invoke of the evidence function, as the REST call it is.
        'lambda:POST /2015-03-31/functions/lifeline-evidence/invocations',
        'states:StartExecution',
        'states:GetExecutionHistory',
      ].sort(),
    );
    expect(await operator.judge()).toEqual([]);
    // The judgment can fail: without its statement for the records, reading them is denied.
    expect((await operator.judge(operator.without('ReadRecords'))).map((d) => d.call.split(' ')[0])).toContain(
      's3:GetObject',
    );
    expect((await operator.judge(operator.without('AnswerThroughLifeline'))).map((d) => d.call)).toEqual([
      expect.stringMatching(/^lambda:InvokeFunction arn:aws:lambda:eu-west-1:\d{12}:function:lifeline-evidence$/),
    ]);
  }, 300_000);
});
