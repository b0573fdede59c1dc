import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../infra/config/load';
import { ARCHIVE_DUMP_SCRIPT } from '../../state-machines/archive-dump';
import { archivingConfig } from '../fixtures/archive-config';
import { type Synthesized, synthesize } from '../harness/synth';

let app: Synthesized;
let dr: Template;
type Definition = { States: Record<string, Record<string, unknown>> };
let definition: Definition;

beforeAll(() => {
  app = synthesize(archivingConfig(), { bundle: false });
  dr = Template.fromStack(app.stacks.dr);
  const machine = Object.values(dr.findResources('AWS::StepFunctions::StateMachine')).find((r) =>
    JSON.stringify(r.Properties?.StateMachineName).includes('lifeline-drill'),
  );
  const body = machine?.Properties?.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  // The tokens in the definition are CloudFormation objects; render them as placeholders to read the structure.
  definition = JSON.parse(
    body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(body['Fn::Join'][0]),
  );
}, 300_000);

describe('the archive dump task', () => {
  it('runs the dump script from the repository in a public engine image, then uploads with the AWS CLI image', () => {
    const script = readFileSync(ARCHIVE_DUMP_SCRIPT, 'utf8');
    const joined = (ending: string) =>
      Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(ending)])] });
    const image = (repository: string, tag: string) => joined(`/lifeline-ecr-public/${repository}:${tag}$`);
    dr.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: 'lifeline-archive-dump-orders',
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      EphemeralStorage: { SizeInGiB: 100 },
      Volumes: [{ Name: 'dump' }],
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'dump',
          Essential: false,
          Image: image('docker/library/postgres', '18'),
          EntryPoint: ['sh', '-c'],
          Command: [script, 'archive-dump', 'dump'],
          Secrets: [
            { Name: 'DB_USER', ValueFrom: joined(':secret:lifeline/orders/drill:username::$') },
            { Name: 'DB_PASSWORD', ValueFrom: joined(':secret:lifeline/orders/drill:password::$') },
          ],
          MountPoints: [{ SourceVolume: 'dump', ContainerPath: '/dump', ReadOnly: false }],
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        }),
        Match.objectLike({
          Name: 'upload',
          Essential: true,
          Image: image('aws-cli/aws-cli', '2\\.[0-9.]+'),
          Command: [script, 'archive-dump', 'upload'],
          DependsOn: [{ ContainerName: 'dump', Condition: 'COMPLETE' }],
        }),
      ],
    });
    dr.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'lifeline-ecr-public',
      UpstreamRegistryUrl: 'public.ecr.aws',
    });
    dr.hasResourceProperties('AWS::ECS::Cluster', { ClusterName: 'lifeline-archive-dumps' });
  });

  it('reaches ECR, CloudWatch Logs and S3 through endpoints of the drill network, which has no route out', () => {
    for (const service of ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager'])
      dr.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        ServiceName: Match.stringLikeRegexp(`\\.${service.replace('.', '\\.')}$`),
        PrivateDnsEnabled: true,
      });
    dr.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.s3$')])] }),
    });
    expect(dr.findResources('AWS::EC2::NatGateway')).toEqual({});
    expect(dr.findResources('AWS::EC2::InternetGateway')).toEqual({});
  });

  it('lets the task role put only new objects under the database dump prefix, under SSE-KMS', () => {
    const roles = dr.findResources('AWS::IAM::Role', {
      Properties: { Description: Match.stringLikeRegexp('^Uploads archive dumps of orders') },
    });
    const [roleId] = Object.keys(roles);
    const policies = Object.values(dr.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(String(roleId)),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    expect(statements.map((s) => s.Action)).toEqual(['s3:PutObject', ['kms:Decrypt', 'kms:GenerateDataKey']]);
    expect(JSON.stringify(statements[0]?.Resource)).toContain('/dumps/orders/*');
    expect(statements[0]?.Condition).toEqual({ StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } });
    expect(JSON.stringify(statements[1]?.Condition)).toContain('kms:ViaService');
  });

  it('lets the drill state machine run only the dump task definitions, in their cluster, and watch only its tasks', () => {
    const statements = Object.values(dr.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        p.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown; Condition?: unknown }>,
    );
    const of = (action: string) => statements.filter((s) => JSON.stringify(s.Action).includes(`"${action}"`));
    expect(of('ecs:RunTask').map((s) => JSON.stringify(s.Resource))).toEqual([
      expect.stringContaining('task-definition/lifeline-archive-dump-orders:*'),
    ]);
    expect(JSON.stringify(of('ecs:RunTask')[0]?.Condition)).toContain('ecs:cluster');
    expect(of('ecs:StopTask').map((s) => JSON.stringify(s.Resource))).toEqual([
      expect.stringContaining('task/lifeline-archive-dumps/*'),
    ]);
    expect(
      JSON.stringify(of('iam:PassRole').find((s) => JSON.stringify(s.Condition).includes('ecs-tasks'))),
    ).toBeTruthy();
  });
});

describe('the drill workflow with an archive', () => {
  it('dumps a passing drill of an archived database before the cleanup, and every archive failure goes on to the cleanup', () => {
    const s = definition.States;
    expect(s['Check the data']?.Next).toBe('Does the verified restore go into the archive?');
    const entry = s['Does the verified restore go into the archive?'] as {
      Choices: Array<Record<string, unknown>>;
      Default: string;
    };
    expect(JSON.stringify(entry.Choices[0])).toContain('"Variable":"$.checks.verdict.status","StringEquals":"passed"');
    expect(entry.Default).toBe('Delete the drill database');
    expect(s['Is an archive dump due?']).toMatchObject({
      Choices: [{ Variable: '$.archive.due', BooleanEquals: true, Next: 'Which database is dumped?' }],
      Default: 'Delete the drill database',
    });
    expect(s['Dump orders into the archive']).toMatchObject({
      Type: 'Task',
      Resource: expect.stringMatching(/:states:::ecs:runTask\.sync$/),
      TimeoutSeconds: 4 * 3600,
      Next: 'Delete the drill database',
      Catch: [
        { ErrorEquals: ['States.ALL'], ResultPath: '$.archiveError', Next: 'Alert that the archive dump failed' },
      ],
    });
    expect(s['Plan the archive dump']?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.archiveError', Next: 'Alert that the archive dump failed' },
    ]);
    expect(s['Alert that the archive dump failed']).toMatchObject({
      Next: 'Delete the drill database',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Delete the drill database' }],
    });
    expect(JSON.stringify(s['Alert that the archive dump failed'])).toContain('"StringValue":"archive-dump-failed"');
  });

  it('builds no archive without archive.dump, and the template is cfn-lint clean', () => {
    const without = structuredClone(archivingConfig()) as { databases: Array<{ archive?: { dump?: boolean } }> };
    for (const db of without.databases) if (db.archive) db.archive.dump = false;
    const plain = Template.fromStack(synthesize(without as never, { bundle: false }).stacks.dr);
    expect(plain.findResources('AWS::ECS::TaskDefinition')).toEqual({});
    expect(plain.findResources('AWS::ECR::PullThroughCacheRule')).toEqual({});
    let status = 0;
    let output = '';
    try {
      output = execFileSync(
        'cfn-lint',
        ['--ignore-checks', 'W3005', '--', join(app.outdir, `${app.templates.dr?.name}.template.json`)],
        { encoding: 'utf8' },
      );
    } catch (error) {
      ({ status, stdout: output } = error as { status: number; stdout: string });
    }
    expect(status & 2, output).toBe(0);
  });
});

describe('the archive config', () => {
  it('refuses a dump into a bucket that does not replicate to the DR region, where drills run', () => {
    const config = structuredClone(archivingConfig()) as { buckets: Array<{ replicate?: boolean }> };
    (config.buckets[0] as { replicate?: boolean }).replicate = false;
    expect(() => validateConfig(config as never)).toThrow(
      /databases\[0\]\.archive\.dump: writes into the replica of bucket archive in drRegion, where drills run; that bucket has replicate: false/,
    );
  });
});
