import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../infra/config/load';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { LifelineFunction } from '../../state-machines/lifeline-function';
import { type Synthesized, synthesize } from '../harness/synth';

/*
 * Checks derived from the synthesized templates, over every policy document in them: who may publish to an
 * encrypted topic, which wildcards are granted, which actions are granted on `*`, how KMS grants and tags
 * are bounded. Nothing here names a particular statement.
 */

type Json = unknown;
interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource?: Json;
  readonly Principal?: Json;
  readonly Condition?: Record<string, Record<string, Json>>;
}
interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
}
type Resources = Record<string, Resource>;

/** One Allow statement, where it came from and whom it is for. */
interface Grant {
  readonly stack: string;
  /** `identity` for a role's policy; otherwise the resource policy's kind. */
  readonly kind: 'identity' | 'key policy' | 'topic policy' | 'bucket policy' | 'trust policy';
  /** Logical id of the role (identity) or of the resource whose policy it is. */
  readonly owner: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly principals: string[];
  readonly statement: Statement;
}

/** Renders a CloudFormation value as text: `<Logical.Attr>` for GetAtt, `<Ref>` for Ref, joins joined. */
function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, Json>;
    if ('Ref' in v) return `<${v.Ref}>`;
    if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in v) {
      const [separator, parts] = v['Fn::Join'] as [string, Json[]];
      return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}

const list = (value: Json): Json[] => (value === undefined ? [] : ([] as Json[]).concat(value));

function principalsOf(principal: Json): string[] {
  if (principal === undefined) return [];
  if (typeof principal === 'string') return [principal];
  return Object.values(principal as Record<string, Json>).flatMap((p) => list(p).map(render));
}

/** Every Allow statement of every policy document in a template. */
function grantsOf(stack: string, resources: Resources): Grant[] {
  const grants: Grant[] = [];
  const add = (kind: Grant['kind'], owner: string, document: Json) => {
    for (const statement of list((document as { Statement?: Json })?.Statement) as Statement[]) {
      if (statement.Effect !== 'Allow') continue;
      grants.push({
        stack,
        kind,
        owner,
        actions: list(statement.Action) as string[],
        resources: list(statement.Resource).map(render),
        principals: principalsOf(statement.Principal),
        statement,
      });
    }
  };
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Policy')
      for (const role of list(p.Roles)) add('identity', render(role).replace(/^<|>$/g, ''), p.PolicyDocument);
    if (r.Type === 'AWS::IAM::Role') {
      add('trust policy', id, p.AssumeRolePolicyDocument);
      for (const inline of list(p.Policies)) add('identity', id, (inline as { PolicyDocument: Json }).PolicyDocument);
    }
    if (r.Type === 'AWS::KMS::Key') add('key policy', id, p.KeyPolicy);
    if (r.Type === 'AWS::SNS::TopicPolicy') add('topic policy', id, p.PolicyDocument);
    if (r.Type === 'AWS::S3::BucketPolicy') add('bucket policy', id, p.PolicyDocument);
  }
  return grants;
}

/** Whether an IAM action pattern (with `*` and `?`) covers `action`; IAM compares actions case-insensitively. */
function covers(pattern: string, action: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(action);
}
const grantsAction = (grant: Grant, action: string) => grant.actions.some((a) => covers(a, action));

/** What SNS asks of a publisher's principal on the topic's key (FACTS.md). */
const PUBLISH_NEEDS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/** Whether a grant's conditions still let SNS use the key for the publisher: none, or only "through SNS". */
const usableBySns = (grant: Grant) =>
  Object.entries(grant.statement.Condition ?? {}).every(
    ([operator, keys]) =>
      operator.startsWith('String') &&
      Object.entries(keys).every(
        ([key, value]) => key === 'kms:ViaService' && list(value).every((v) => /^sns\./.test(render(v))),
      ),
  );

/**
 * Roles that may publish to a topic encrypted with a customer-managed key of the same template but cannot use
 * that key, as `role → topic: missing actions`.
 */
function publishersWithoutKey(stack: string, resources: Resources): string[] {
  const grants = grantsOf(stack, resources);
  const problems: string[] = [];
  for (const [topicId, topic] of Object.entries(resources)) {
    if (topic.Type !== 'AWS::SNS::Topic' || topic.Properties?.KmsMasterKeyId === undefined) continue;
    const keyArn = render(topic.Properties.KmsMasterKeyId);
    const keyId = /^<([^.>]+)(\.Arn)?>$/.exec(keyArn)?.[1];
    const topicArn = `<${topicId}>`;
    const onTopic = (g: Grant) => g.resources.some((r) => r === topicArn || r === '*');
    const publishers = new Set(
      grants.filter((g) => g.kind === 'identity' && grantsAction(g, 'sns:Publish') && onTopic(g)).map((g) => g.owner),
    );
    for (const role of publishers) {
      const viaIdentity = (action: string) =>
        grants.some(
          (g) =>
            g.kind === 'identity' &&
            g.owner === role &&
            grantsAction(g, action) &&
            g.resources.some((r) => r === keyArn || r === '*') &&
            usableBySns(g),
        );
      const viaKeyPolicy = (action: string) =>
        grants.some(
          (g) =>
            g.kind === 'key policy' &&
            g.owner === keyId &&
            grantsAction(g, action) &&
            g.principals.includes(`<${role}.Arn>`) &&
            usableBySns(g),
        );
      const missing = PUBLISH_NEEDS.filter((a) => !viaIdentity(a) && !viaKeyPolicy(a));
      if (missing.length > 0) problems.push(`${stack}: ${role} → ${topicId}: lacks ${missing.join(', ')} on ${keyArn}`);
    }
  }
  return problems;
}

/**
 * Wildcard actions Lifeline accepts, each where it may appear and why. Anything else with a `*` in an action
 * (rds:*, kms:*, s3:Get*, ...) fails the check.
 */
const JUSTIFIED_WILDCARDS: ReadonlyArray<{
  readonly action: string;
  readonly kind: Grant['kind'];
  /** The principal of a resource-policy statement, as rendered. */
  readonly principal?: RegExp;
  readonly reason: string;
}> = [
  {
    action: 'kms:GenerateDataKey*',
    kind: 'identity',
    reason:
      'CDK grants (publish to a topic, read/write a table or bucket) on one named Lifeline key: the data key variants',
  },
  {
    action: 'kms:ReEncrypt*',
    kind: 'identity',
    reason: "CDK's grantEncryptDecrypt on one named Lifeline key: ReEncryptFrom and ReEncryptTo",
  },
  {
    action: 'kms:*',
    kind: 'key policy',
    principal: /^arn:<AWS::Partition>:iam::\d{12}:root$/,
    reason:
      "CDK's default key policy: the key's own account administers it, and IAM policies in that account grant its use",
  },
  ...['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'].map((action) => ({
    action,
    kind: 'key policy' as const,
    principal: /^logs\.[a-z0-9-]+\.<AWS::URLSuffix>$/,
    reason: "CloudWatch Logs' documented key policy for encrypted log groups, bound to this account's log group ARNs",
  })),
];

/**
 * Actions granted on `*`: AWS offers no resource-level permission for them (the Service Authorization
 * Reference lists no resource type), so `*` is the only way to grant them; except where said.
 */
const UNSCOPABLE_ACTIONS: Readonly<Record<string, string>> = {
  'xray:PutTraceSegments': 'no resource type',
  'xray:PutTelemetryRecords': 'no resource type',
  'xray:GetSamplingRules': 'no resource type',
  'xray:GetSamplingTargets': 'no resource type',
  'logs:CreateLogDelivery': 'no resource type (Step Functions execution logging, granted by CDK)',
  'logs:GetLogDelivery': 'no resource type',
  'logs:UpdateLogDelivery': 'no resource type',
  'logs:DeleteLogDelivery': 'no resource type',
  'logs:ListLogDeliveries': 'no resource type',
  'logs:PutResourcePolicy': 'no resource type',
  'logs:DescribeResourcePolicies': 'no resource type',
  'logs:DescribeLogGroups': 'no resource type',
  'rds:DescribeAccountAttributes': 'no resource type (the snapshot quota)',
  'rds:DescribeOrderableDBInstanceOptions':
    "no resource type (the drill preflight checks an override's instance class)",
  'ec2:DescribeNetworkInterfaces': 'no resource type',
  'cloudwatch:PutMetricData':
    'no resource type (the copy-age, objectives and continuous probes; the cloudwatch:namespace condition limits them)',
  'cloudwatch:GetMetricData': "no resource type (the continuous probe reads a replica's lag in AWS/RDS)",
  'cloudwatch:GetMetricStatistics': 'no resource type (the readiness probe reads the continuous RPO it scores)',
  'ecr:GetAuthorizationToken': 'no resource type (the archive dump task pulls its image from ECR)',
  'states:SendTaskSuccess':
    "no resource type: the task token names the task (the incident functions end the ladder's waits)",
  'states:SendTaskFailure':
    'no resource type: the task token names the task (the failover command rejects an approval)',
  'rds:StartExportTask':
    'no resource type (the snapshot export; the role it passes may write only the archive bucket exports/ prefix)',
  'rds:DescribeExportTasks': 'no resource type (the snapshot export reads its tasks)',
  // These have resource types, but Lambda calls them with the execution role for ENIs it names itself; AWS's
  // AWSLambdaVPCAccessExecutionRole grants them on *.
  'ec2:CreateNetworkInterface': 'Lambda VPC networking, as AWS documents it',
  'ec2:DeleteNetworkInterface': 'Lambda VPC networking, as AWS documents it',
  'ec2:AssignPrivateIpAddresses': 'Lambda VPC networking, as AWS documents it',
  'ec2:UnassignPrivateIpAddresses': 'Lambda VPC networking, as AWS documents it',
};

/** Lifeline-named resources, the only ones it may tag (a failover tags its copy of a vault copy, lifeline-failover-*). */
const TAGGABLE = /:(snapshot|cluster-snapshot):lifeline-(failover-)?\*$|:(db|cluster):lifeline-(drill|failover)-\*$/;

const SOURCE_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const SECRET_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/5678abcd-12ab-34cd-56ef-1234567890ab';

let app: Synthesized;
let grants: Grant[];
const templates: Array<[string, Resources]> = [];

beforeAll(async () => {
  // The example config, with a source under a customer-managed key and a drill secret under one.
  const config = structuredClone(await readConfig());
  const [orders, ledger] = config.databases as [
    LifelineConfigInput['databases'][number],
    LifelineConfigInput['databases'][number],
  ];
  Object.assign(ledger, { sourceKey: SOURCE_KEY });
  if (orders.drill) Object.assign(orders.drill, { credentialsSecretKey: SECRET_KEY });
  // Both databases export their monthly and yearly points into the example's archive bucket (the ledger has no
  // drill, so no dump).
  Object.assign(orders, { archive: { ...orders.archive, bucket: 'archive' } });
  Object.assign(ledger, { archive: { dump: false, ...ledger.archive, bucket: 'archive' } });
  // Continuous protection in two modes, so that the probe's policies are checked too.
  Object.assign(orders, { continuous: { mode: 'automated-backup-replication' } });
  Object.assign(ledger, {
    continuous: { mode: 'global-database', globalCluster: 'ledger-global', secondaryCluster: 'ledger-dr' },
  });
  app = synthesize(config);
  for (const name of ['primary', 'dr', 'vault'] as const) {
    const template = app.templates[name]?.template;
    if (template) templates.push([name, template.Resources as Resources]);
  }
  grants = templates.flatMap(([name, resources]) => grantsOf(name, resources));
});

/** The role of the function built from `entry` in `stack`, as the template names it. */
function roleOf(stack: 'primary' | 'dr', entry: string): string {
  const built = app.stacks[stack].node
    .findAll()
    .find((c): c is LifelineFunction => c instanceof LifelineFunction && c.entry === entry);
  if (!built) throw new Error(`no function for ${entry} in ${stack}`);
  const role = app.stacks[stack].getLogicalId(built.role.node.defaultChild as CfnElement);
  const fnId = app.stacks[stack].getLogicalId(built.function.node.defaultChild as CfnElement);
  // The function that deploys runs as that role.
  const resources = templates.find(([name]) => name === stack)?.[1] ?? {};
  expect(render(resources[fnId]?.Properties?.Role)).toBe(`<${role}.Arn>`);
  return role;
}
const grantsOfRole = (stack: string, role: string) =>
  grants.filter((g) => g.stack === stack && g.kind === 'identity' && g.owner === role);

describe('permissions derived from the synthesized templates', () => {
  it('lets every role that may publish to an encrypted topic use its key', () => {
    const publishers = grants.filter((g) => g.kind === 'identity' && grantsAction(g, 'sns:Publish'));
    // The backup and drill state machines and the record function publish; the check must have seen them.
    expect(new Set(publishers.map((g) => g.owner)).size).toBeGreaterThanOrEqual(3);
    expect(templates.flatMap(([name, resources]) => publishersWithoutKey(name, resources))).toEqual([]);
  });

  it('grants no wildcard action beyond the justified list', () => {
    const unjustified = grants.flatMap((g) =>
      g.actions
        .filter((a) => a.includes('*') || a.includes('?'))
        .filter(
          (a) =>
            !JUSTIFIED_WILDCARDS.some(
              (j) =>
                j.action === a &&
                j.kind === g.kind &&
                (j.principal === undefined
                  ? g.principals.length === 0
                  : g.principals.every((p) => j.principal?.test(p))),
            ),
        )
        .map((a) => `${g.stack} ${g.kind} of ${g.owner}: ${a} (principals ${g.principals.join(', ') || '-'})`),
    );
    expect(unjustified).toEqual([]);
  });

  it('keeps no justification that nothing uses', () => {
    const unused = JUSTIFIED_WILDCARDS.filter(
      (j) => !grants.some((g) => g.kind === j.kind && g.actions.includes(j.action)),
    ).map((j) => `${j.kind}: ${j.action}`);
    expect(unused).toEqual([]);
  });

  it('grants actions on every resource (*) only where AWS offers nothing narrower', () => {
    const wide = grants
      .filter((g) => g.kind === 'identity' && g.resources.includes('*'))
      .flatMap((g) =>
        g.actions.filter((a) => !(a in UNSCOPABLE_ACTIONS)).map((a) => `${g.stack} ${g.owner}: ${a} on *`),
      );
    expect(wide).toEqual([]);
  });

  it('lets RDS, and only an AWS service, create grants on any key', () => {
    const createGrant = grants.filter((g) => grantsAction(g, 'kms:CreateGrant') && !g.actions.includes('kms:*'));
    expect(createGrant.length).toBeGreaterThan(0);
    const unbounded = createGrant
      .filter((g) => JSON.stringify(g.statement.Condition?.Bool?.['kms:GrantIsForAWSResource']) !== 'true')
      .map((g) => `${g.stack} ${g.kind} of ${g.owner}: ${g.actions.join(', ')} on ${g.resources.join(', ')}`);
    expect(unbounded).toEqual([]);
  });

  it("tags only Lifeline's own snapshots and drill databases, and drill databases only with the drill's tags", () => {
    const tagging = grants.filter((g) => g.kind === 'identity' && grantsAction(g, 'rds:AddTagsToResource'));
    expect(tagging.length).toBeGreaterThan(0);
    const elsewhere = tagging.flatMap((g) =>
      g.resources.filter((r) => !TAGGABLE.test(r)).map((r) => `${g.stack} ${g.owner}: tags ${r}`),
    );
    expect(elsewhere).toEqual([]);
    const databases = tagging.filter((g) => g.resources.some((r) => /:(db|cluster):/.test(r)));
    expect(databases.length).toBeGreaterThan(0);
    for (const g of databases) {
      expect(g.statement.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'], g.owner).toBeDefined();
    }
  });

  it('changes only the failover record of the configured hosted zone, and recovers only into what the config names', () => {
    const zone = 'arn:<AWS::Partition>:route53:::hostedzone/Z0123456789ABCDEFGHIJ';
    const route53 = grants.filter((g) => g.actions.some((a) => a.startsWith('route53:')));
    expect(route53.length).toBeGreaterThan(0);
    const change = route53.filter((g) => grantsAction(g, 'route53:ChangeResourceRecordSets'));
    expect([...new Set(change.flatMap((g) => g.resources))]).toEqual([zone]);
    // The failover's switch UPSERTs the production record; the failover drill's switch, cleanup and sweeper only its
    // shadow.
    const scope = (names: string[], action: string) => ({
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': names,
      'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
      'route53:ChangeResourceRecordSetsActions': [action],
    });
    expect(change.map((g) => g.statement.Condition?.['ForAllValues:StringEquals'])).toEqual(
      expect.arrayContaining([
        scope(['db.example.com'], 'UPSERT'),
        scope(['drill-orders.db.example.com'], 'UPSERT'),
        scope(['drill-orders.db.example.com'], 'DELETE'),
      ]),
    );
    const shadowDeletes = change.filter(
      (g) =>
        JSON.stringify(
          g.statement.Condition?.['ForAllValues:StringEquals']?.['route53:ChangeResourceRecordSetsActions'],
        ) === '["DELETE"]',
    );
    expect(shadowDeletes.map((g) => g.owner).sort()).toEqual(
      [roleOf('dr', 'functions/failover/drill-cleanup.ts'), roleOf('dr', 'functions/failover/sweep-drills.ts')].sort(),
    );
    expect(change).toHaveLength(4);
    expect(
      // The pre-check, the drill's cleanup and its sweeper read the records of the one zone.
      [
        ...new Set(
          route53.filter((g) => grantsAction(g, 'route53:ListResourceRecordSets')).flatMap((g) => g.resources),
        ),
      ],
    ).toEqual([zone]);
    // A failover creates databases named lifeline-failover-*; it promotes or fails over only what the config names.
    const recovering = grants.filter((g) =>
      [
        'rds:RestoreDBInstanceFromDBSnapshot',
        'rds:PromoteReadReplica',
        'rds:FailoverGlobalCluster',
        'rds:DeleteDBInstance',
      ].some((a) => grantsAction(g, a)),
    );
    const databases = recovering.flatMap((g) => g.resources.filter((r) => /:(db|cluster):/.test(r)));
    expect(databases.filter((r) => !/:(db|cluster):lifeline-(drill|failover)-\*$/.test(r))).toEqual([]);
  });

  it('lets the role that copies use a source key, only through RDS, with grants only for AWS resources', () => {
    // Only the DR copy reads the source snapshot: the vault copy is made from the DR copy, under the DR key.
    for (const entry of ['functions/backup/copy-snapshot.ts']) {
      const onKey = grantsOfRole('primary', roleOf('primary', entry)).filter((g) => g.resources.includes(SOURCE_KEY));
      for (const action of ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Decrypt'])
        expect(
          onKey.some((g) => grantsAction(g, action)),
          `${entry}: ${action}`,
        ).toBe(true);
      for (const g of onKey) {
        const via = list(g.statement.Condition?.StringEquals?.['kms:ViaService']).map(render);
        expect(via.length, entry).toBeGreaterThan(0);
        for (const service of via) expect(service).toMatch(/^rds\.[a-z0-9-]+\.<AWS::URLSuffix>$/);
      }
    }
    // No other role may use it.
    const others = grants.filter((g) => g.resources.includes(SOURCE_KEY)).map((g) => g.owner);
    expect([...new Set(others)]).toEqual([roleOf('primary', 'functions/backup/copy-snapshot.ts')]);
  });

  it("lets the drill check, the failover verification and the dump task's execution role decrypt the credentials secret's key, only through Secrets Manager", () => {
    // The drill logs in to the restored copy, the failover through the record, ECS reads the dump task's secrets
    // with the task's execution role.
    const execution = app.stacks.dr.getLogicalId(
      app.stacks.dr.drill.archiveDump?.taskDefinitions.orders?.obtainExecutionRole().node.defaultChild as CfnElement,
    );
    const roles = [
      roleOf('dr', 'functions/drill/check-data.ts'),
      roleOf('dr', 'functions/failover/verify.ts'),
      execution,
    ];
    const onKey = grants.filter((g) => g.resources.includes(SECRET_KEY));
    expect(onKey.map((g) => [g.owner, g.actions]).sort()).toEqual(roles.map((role) => [role, ['kms:Decrypt']]).sort());
    for (const grant of onKey) {
      expect(render(grant.statement.Condition?.StringEquals?.['kms:ViaService'] as Json)).toBe(
        'secretsmanager.eu-west-1.<AWS::URLSuffix>',
      );
      expect(Object.keys(grant.statement.Condition ?? {})).toEqual(['StringEquals']);
    }
  });

  it("names the service of every kms:ViaService by the partition's URL suffix, so the grants hold in aws-cn too", () => {
    const via = grants.flatMap((g) =>
      Object.values(g.statement.Condition ?? {}).flatMap((c) => list(c['kms:ViaService']).map(render)),
    );
    expect(via.length).toBeGreaterThan(3);
    for (const service of via) expect(service).toMatch(/^[a-z][a-z0-9]*\.[a-z0-9-]+\.<AWS::URLSuffix>$/);
    const logs = grants.filter((g) => g.kind === 'key policy' && g.principals.some((p) => p.startsWith('logs.')));
    expect(logs.length).toBeGreaterThan(0);
    for (const g of logs) expect(g.principals).toEqual([expect.stringMatching(/^logs\.[a-z0-9-]+\.<AWS::URLSuffix>$/)]);
  });
});

describe('the check for publishers of encrypted topics', () => {
  const probe = (grant: (topic: sns.Topic, role: iam.Role) => void) => {
    const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-central-1' } });
    const topic = new sns.Topic(stack, 'Topic', { masterKey: new kms.Key(stack, 'Key') });
    const role = new iam.Role(stack, 'Publisher', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    grant(topic, role);
    const resources = stack.resolve(
      (stack as unknown as { _toCloudFormation(): { Resources: Resources } })._toCloudFormation().Resources,
    );
    return publishersWithoutKey('probe', resources as Resources);
  };

  it('finds a role with only sns:Publish', () => {
    const problems = probe((topic, role) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] })),
    );
    expect(problems).toEqual([expect.stringMatching(/Publisher.* → Topic.*: lacks kms:GenerateDataKey, kms:Decrypt/)]);
  });

  it('accepts a role that may use the key through its own policy or the key policy', () => {
    expect(probe((topic, role) => topic.grantPublish(role))).toEqual([]);
    const viaKeyPolicy = probe((topic, role) => {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
      topic.masterKey?.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [role],
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'],
        }),
      );
    });
    expect(viaKeyPolicy).toEqual([]);
  });
});
