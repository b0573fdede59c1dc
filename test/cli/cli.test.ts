import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillHistory } from '../../functions/drill/history';
import { DR_OUTPUT } from '../../infra/outputs';
import { PROJECT_ROOT } from '../../state-machines/lifeline-function';
import { baseConfig } from '../fixtures/configs';
import { createOrdersDatabase } from '../fixtures/production';
import { bridgeLambdaInvoke, createStacksWithOutputs, runCli, runStartedExecutions } from '../harness/cli';
import { type LocalAws, startLocalAws } from '../harness/local-aws';

/**
 * The `lifeline` bin against moto: the synthesized stacks "deployed" by the harness, CloudFormation stacks with
 * their outputs made for the CLI to find (createStacksWithOutputs), executions it starts run in-process.
 */
let aws: LocalAws;
let outputs: Record<string, Record<string, string>>;
const DR = 'eu-west-1';
const PRIMARY = 'eu-central-1';

beforeAll(async () => {
  aws = await startLocalAws(baseConfig());
  await createOrdersDatabase(aws);
  outputs = await createStacksWithOutputs(aws);
  bridgeLambdaInvoke(aws);
}, 600_000);
afterAll(async () => aws?.stop());

describe('lifeline against moto', () => {
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
    expect(cli.stdout).toMatch(/\norders {2}readiness \d+\/100\n/);
    expect(cli.stdout).toMatch(/newest DR copy +lifeline-orders-\d{8}t\d{4}, \d+ s old \(RPO 1 d\): within\n/);
    expect(cli.stdout).toMatch(/last drill +passed .* \(1 d ago\), RTO 12 min, RPO 1 h\n/);
    expect(cli.stdout).toContain('alarms          none in ALARM');
    expect(cli.stdout).toMatch(/copyAge +30\/30 {2}newest verified DR copy is \d+ min old, within the RPO of 24 h/);
    expect(cli.stdout).toMatch(/drill +25\/25 {2}the last restore drill passed 24 h ago/);
    expect(cli.stdout).toContain('Nothing needs attention.');
  }, 120_000);

  it('gives the status as JSON, and exits 1 when a database needs attention', async () => {
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
    expect(cli.stdout).toContain('retention checks: none is recorded yet');
    const parsed = JSON.parse(json.stdout);
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

  it('says which call was denied to whom, and exits 3', async () => {
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
  }, 60_000);

  it('says where to get credentials when there are none', async () => {
    const cli = await runCli(aws, ['status'], { region: DR, credentials: null });
    expect(cli.code).toBe(3);
    expect(cli.stderr).toMatch(
      /^No AWS credentials were found for cloudformation:DescribeStacks in eu-west-1: set AWS_PROFILE/,
    );
  }, 60_000);
});
