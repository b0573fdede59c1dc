import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { getDenialReasons, type RunSimulationResults, runSimulation } from '@cloud-copilot/iam-simulate';
import type { LocalRole } from './iam';
import type { LocalAws } from './local-aws';
import type { WorkflowRun } from './run-workflow';
import type { SynthesizedStack } from './synth';

/**
 * IAM as AWS would authorize what a run did. moto checks only the action of each call (it passes resource "*",
 * see moto_server.py) and never what a service does on the caller's behalf. This evaluates every call a Lifeline
 * role made that moto answered successfully with @cloud-copilot/iam-simulate, over the role's synthesized identity
 * policies plus the resource policy where one applies (KMS key policy, SNS topic policy, S3 bucket policy, the
 * target role's trust policy for sts:AssumeRole — across accounts both must allow). RDS has no resource policies: a
 * snapshot another account shares (its `restore` attribute) is used on the caller's identity policy alone.
 *
 * 1. the call itself, on the resource ARN(s) derived from its parameters, with the request's tags as
 *    `aws:RequestTag/…`/`aws:TagKeys`, and the resource's tags as `aws:ResourceTag/…` / `rds:<type>-tag/…` where
 *    the run shows them (tags given when the run created, restored or tagged the resource, in call order) or moto
 *    does (a resource from before the run);
 * 2. what AWS implies: tags on an RDS create/copy → `rds:AddTagsToResource`; SNS Publish to a topic under a CMK →
 *    `kms:GenerateDataKey` + `kms:Decrypt`; an RDS copy or restore under a CMK → `kms:CreateGrant` + `kms:DescribeKey`
 *    via RDS for an AWS resource; GetSecretValue of a secret under a CMK (config `credentialsSecretKey`) →
 *    `kms:Decrypt` via Secrets Manager; S3 Put/GetObject to an SSE-KMS bucket and DynamoDB items of a table under a
 *    CMK → `kms:GenerateDataKey`/`kms:Decrypt`/`kms:Encrypt` via the service.
 *
 * Not derived (evaluated on "*", which only an identity statement on "*" allows): the option and parameter groups
 * a restore also authorizes (`og:`/`pg:` — RDS's defaults, not named in the call), EC2 and IAM read calls, and any
 * action the mapping below does not know. Not implied: the source key of a cross-region copy of an encrypted
 * snapshot (the evaluator does not read the source's encryption), tags copied by `CopyTags` (RDS documents the
 * `AddTagsToResource` check for tags given in the request only), and KMS for AWS-managed keys (aws/sns, ...).
 */
export interface Denial {
  readonly roleArn: string;
  /** The role's logical id in its stack. */
  readonly logicalId: string;
  /** `<service>:<Action> <resource>` of the call as made. */
  readonly call: string;
  /** The request AWS makes on the caller's behalf that is denied (e.g. `kms:GenerateDataKey <key>`). */
  readonly implied?: string;
  readonly reason: string;
}

export interface EvaluationOptions {
  /** The roles to evaluate against (e.g. a copy with a statement removed). @default the deployed roles */
  readonly roles?: ReadonlyMap<string, LocalRole>;
  /** Key policies to evaluate instead of the templates', by key ARN. */
  readonly keyPolicies?: ReadonlyMap<string, unknown>;
}

type Context = Record<string, string | string[]>;

/** One request AWS authorizes. */
interface AuthRequest {
  readonly action: string;
  readonly resource: string;
  /** Account that owns the resource. */
  readonly account: string;
  readonly context?: Context;
  readonly resourcePolicy?: unknown;
  /** Set for a request AWS makes because of the call (not the call itself). */
  readonly implied?: boolean;
  /** Why a denial may be the evaluator's gap rather than the policy's. */
  readonly note?: string;
}

interface KeyInfo {
  readonly arn: string;
  readonly policy?: unknown;
  readonly aliases: string[];
}

/** What the templates say about the resources the calls touch, with every ARN as deployed. */
interface Knowledge {
  readonly keys: Map<string, KeyInfo>;
  /** `region/alias/name` → key ARN. */
  readonly aliases: Map<string, string>;
  readonly topics: Map<string, { key?: string; policy?: unknown }>;
  readonly tables: Map<string, { key?: string }>;
  readonly buckets: Map<string, { key?: string; policy?: unknown; account: string }>;
  /** Secret name → key ARN, from the config's drill `credentialsSecretKey`. */
  readonly secretKeys: Map<string, string>;
}

const SIGNING_TO_PREFIX: Record<string, string> = { monitoring: 'cloudwatch' };

export async function evaluateRun(aws: LocalAws, run: WorkflowRun, options: EvaluationOptions = {}): Promise<Denial[]> {
  const roles = options.roles ?? aws.cloud.iam.roles;
  const known = knowledge(aws);
  for (const [arn, policy] of options.keyPolicies ?? []) {
    const key = known.keys.get(arn);
    if (key) known.keys.set(arn, { ...key, policy });
  }
  const tags = new ResourceTags(aws);
  const denials: Denial[] = [];
  for (const call of run.calls) {
    const role = roles.get(call.roleArn);
    if (call.status >= 300 || !role) {
      // A call moto refused did nothing; one made by a role the evaluation does not know cannot be judged.
      if (!role && call.status < 300)
        denials.push({ roleArn: call.roleArn, logicalId: '?', call: call.action, reason: 'unknown role' });
      continue;
    }
    const requests = await requestsFor(call, role, known, tags, roles);
    const first = requests.find((r) => !r.implied);
    for (const request of requests) {
      const reason = await authorize(role, call.region, request);
      if (reason)
        denials.push({
          roleArn: role.arn,
          logicalId: role.logicalId,
          call: request.implied
            ? `${first?.action ?? call.action} ${first?.resource ?? '*'}`
            : `${request.action} ${request.resource}`,
          ...(request.implied ? { implied: `${request.action} ${request.resource}` } : {}),
          reason: request.note ? `${reason} (${request.note})` : reason,
        });
    }
    tags.record(call, role);
  }
  return denials;
}

/** The reason a request is not allowed, or undefined when it is. */
async function authorize(role: LocalRole, region: string, request: AuthRequest): Promise<string | undefined> {
  const result: RunSimulationResults = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${role.account}:assumed-role/${role.name}/lifeline`,
        action: request.action,
        resource: { resource: request.resource, accountId: request.account },
        contextVariables: {
          'aws:SecureTransport': 'true',
          'aws:RequestedRegion': region,
          'aws:PrincipalArn': role.arn,
          'aws:PrincipalAccount': role.account,
          'aws:CurrentTime': new Date().toISOString(),
          ...request.context,
        },
      },
      identityPolicies: role.policies.map((p) => ({ name: p.name, policy: p.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
    },
    {},
  );
  if (result.resultType === 'error') return `the simulation could not run: ${result.errors.message}`;
  if (result.overallResult === 'Allowed') return undefined;
  const analyses = result.resultType === 'single' ? [result.result] : result.results;
  const why = analyses
    .flatMap((r) => getDenialReasons(r.analysis))
    .map((d) =>
      d.denialType === 'Explicit'
        ? `explicit deny in ${d.policyType} ${d.policyIdentifier ?? ''} statement ${d.statementId ?? d.statementIndex}`
        : `no ${d.policyType} statement allows it`,
    );
  return `${result.overallResult}: ${[...new Set(why)].join('; ') || 'no statement allows it'}`;
}

function knowledge(aws: LocalAws): Knowledge {
  const known: Knowledge = {
    keys: new Map(),
    aliases: new Map(),
    topics: new Map(),
    tables: new Map(),
    buckets: new Map(),
    secretKeys: new Map(),
  };
  const stacks = Object.values(aws.app.templates).filter((s): s is SynthesizedStack => s !== undefined);
  const resolve = (stack: SynthesizedStack, value: unknown) => {
    try {
      return aws.cloud.resolve(stack, value);
    } catch {
      return undefined;
    }
  };
  const arnOf = (stack: SynthesizedStack, logicalId: string) =>
    resolve(stack, { 'Fn::GetAtt': [logicalId, 'Arn'] }) as string | undefined;
  for (const stack of stacks)
    for (const [logicalId, r] of Object.entries(stack.template.Resources))
      if (r.Type === 'AWS::KMS::Key') {
        const arn = arnOf(stack, logicalId);
        if (arn) known.keys.set(arn, { arn, policy: resolve(stack, r.Properties?.KeyPolicy), aliases: [] });
      }
  const keyArn = (stack: SynthesizedStack, id: unknown) => toKeyArn(known, stack.region, stack.account, id);
  for (const stack of stacks)
    for (const r of Object.values(stack.template.Resources)) {
      const props = r.Properties ?? {};
      if (r.Type === 'AWS::KMS::Alias') {
        const name = resolve(stack, props.AliasName) as string;
        const target = keyArn(stack, resolve(stack, props.TargetKeyId));
        if (target) {
          known.aliases.set(`${stack.region}/${name}`, target);
          known.keys.get(target)?.aliases.push(name);
        }
      }
    }
  for (const stack of stacks)
    for (const [logicalId, r] of Object.entries(stack.template.Resources)) {
      const props = r.Properties ?? {};
      if (r.Type === 'AWS::SNS::Topic') {
        const arn = resolve(stack, { Ref: logicalId }) as string;
        known.topics.set(arn, { ...known.topics.get(arn), key: keyArn(stack, resolve(stack, props.KmsMasterKeyId)) });
      } else if (r.Type === 'AWS::SNS::TopicPolicy') {
        const policy = resolve(stack, props.PolicyDocument);
        for (const arn of (resolve(stack, props.Topics) as string[] | undefined) ?? [])
          known.topics.set(arn, { ...known.topics.get(arn), policy });
      } else if (r.Type === 'AWS::DynamoDB::Table') {
        const sse = props.SSESpecification as { KMSMasterKeyId?: unknown } | undefined;
        const arn = arnOf(stack, logicalId);
        if (arn) known.tables.set(arn, { key: keyArn(stack, resolve(stack, sse?.KMSMasterKeyId)) });
      } else if (r.Type === 'AWS::S3::Bucket') {
        const name = resolve(stack, { Ref: logicalId }) as string;
        const rules = (
          resolve(stack, props.BucketEncryption) as
            | { ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: Record<string, string> }[] }
            | undefined
        )?.ServerSideEncryptionConfiguration;
        const sse = rules?.[0]?.ServerSideEncryptionByDefault;
        const key = sse?.SSEAlgorithm?.startsWith('aws:kms') ? keyArn(stack, sse.KMSMasterKeyID) : undefined;
        known.buckets.set(name, { ...known.buckets.get(name), key, account: stack.account });
      } else if (r.Type === 'AWS::S3::BucketPolicy') {
        const name = resolve(stack, props.Bucket) as string;
        const policy = resolve(stack, props.PolicyDocument);
        known.buckets.set(name, { account: stack.account, ...known.buckets.get(name), policy });
      }
    }
  for (const db of aws.app.config.databases)
    if (db.drill?.credentialsSecret && db.drill.credentialsSecretKey)
      known.secretKeys.set(db.drill.credentialsSecret, db.drill.credentialsSecretKey);
  return known;
}

/** A key id, key ARN, alias name or alias ARN as the key's ARN (undefined: not a key of the templates). */
function toKeyArn(known: Knowledge, region: string, account: string, id: unknown): string | undefined {
  if (typeof id !== 'string' || !id) return undefined;
  if (known.keys.has(id)) return id;
  const alias = id.match(/^arn:aws:kms:([^:]+):\d+:(alias\/.+)$/);
  if (alias) return known.aliases.get(`${alias[1]}/${alias[2]}`);
  if (id.startsWith('alias/')) return known.aliases.get(`${region}/${id}`);
  const byId = `arn:aws:kms:${region}:${account}:key/${id}`;
  return known.keys.has(byId) ? byId : undefined;
}

/** A KMS request on a key of the templates: the key policy is its resource policy. */
function keyRequest(
  known: Knowledge,
  action: string,
  keyArn: string,
  context: Context,
  implied: boolean,
  requestAlias?: string,
): AuthRequest {
  const key = known.keys.get(keyArn);
  return {
    action,
    resource: keyArn,
    account: keyArn.split(':')[4] ?? '',
    resourcePolicy: key?.policy,
    implied,
    context: {
      'kms:CallerAccount': context['kms:CallerAccount'] ?? '',
      ...(key?.aliases.length ? { 'kms:ResourceAliases': key.aliases } : {}),
      ...(requestAlias ? { 'kms:RequestAlias': requestAlias } : {}),
      ...context,
    },
  };
}

/** Tags of the request: `Tags.Tag.N.Key` / `Tags.member.N.Key` (query) or `Tags: [{Key, Value}]` (JSON). */
function requestTags(params: Record<string, unknown>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    const m = name.match(/^Tags\.(?:Tag|member)\.(\d+)\.Key$/);
    if (m) tags[String(value)] = String(params[name.replace(/Key$/, 'Value')] ?? '');
  }
  if (Array.isArray(params.Tags))
    for (const t of params.Tags as { Key?: string; Value?: string }[]) if (t.Key) tags[t.Key] = t.Value ?? '';
  return tags;
}

function tagContext(tags: Record<string, string>): Context {
  const keys = Object.keys(tags);
  if (keys.length === 0) return {};
  return { 'aws:TagKeys': keys, ...Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, tags[k] ?? ''])) };
}

/**
 * Tags of RDS resources at the time of each call: as moto has them when first asked (the resource existed before
 * the run), then as the run's own calls set them (tags on create, AddTagsToResource).
 */
class ResourceTags {
  private readonly tags = new Map<string, Record<string, string> | undefined>();
  constructor(private readonly aws: LocalAws) {}

  /** An RDS client as the deployer of `account` (reads only). */
  client(region: string, account: string): RDSClient {
    return this.aws.client(RDSClient, region, account);
  }

  async of(arn: string): Promise<Record<string, string> | undefined> {
    if (!this.tags.has(arn)) this.tags.set(arn, await this.read(arn));
    return this.tags.get(arn);
  }

  private async read(arn: string): Promise<Record<string, string> | undefined> {
    const [, , , region, account, type, id] = arn.split(':');
    if (!region || !account || !id || id.includes('*')) return undefined;
    try {
      const rds = this.client(region, account);
      if (type === 'snapshot') {
        const out = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }));
        return Object.fromEntries((out.DBSnapshots?.[0]?.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      }
      if (type === 'cluster-snapshot') {
        const out = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id }));
        return Object.fromEntries(
          (out.DBClusterSnapshots?.[0]?.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']),
        );
      }
      if (type === 'db' || type === 'cluster') {
        const out = await rds.send(new ListTagsForResourceCommand({ ResourceName: arn }));
        return Object.fromEntries((out.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      }
    } catch {
      // Gone (e.g. pruned by the run), or in an account the harness has no deployer in: what the run itself set is
      // all the evaluation knows.
    }
    return undefined;
  }

  /** What a successful call did to the tags of the resources it created or tagged. */
  record(call: WorkflowRun['calls'][number], role: LocalRole): void {
    const p = call.params;
    const at = `arn:aws:rds:${call.region}:${role.account}`;
    const set = (arn: string, tags: Record<string, string>, replace = false) =>
      this.tags.set(arn, { ...(replace ? {} : this.tags.get(arn)), ...tags });
    if (call.service !== 'rds') return;
    const added = requestTags(p);
    if (call.action === 'AddTagsToResource') set(String(p.ResourceName), added);
    if (call.action === 'CreateDBSnapshot') set(`${at}:snapshot:${p.DBSnapshotIdentifier}`, added, true);
    if (call.action === 'CreateDBClusterSnapshot')
      set(`${at}:cluster-snapshot:${p.DBClusterSnapshotIdentifier}`, added, true);
    // Databases the run creates: their tags are the request's (then the run's AddTagsToResource). Read from moto
    // they could not be: the run deletes them (a drill) before the evaluation looks.
    if (call.action === 'CreateDBInstance' || call.action === 'RestoreDBInstanceFromDBSnapshot')
      set(`${at}:db:${p.DBInstanceIdentifier}`, added, true);
    if (call.action === 'RestoreDBInstanceToPointInTime') set(`${at}:db:${p.TargetDBInstanceIdentifier}`, added, true);
    if (call.action === 'CreateDBCluster' || call.action === 'RestoreDBClusterFromSnapshot')
      set(`${at}:cluster:${p.DBClusterIdentifier}`, added, true);
    if (call.action === 'CopyDBSnapshot' || call.action === 'CopyDBClusterSnapshot') {
      const type = call.action === 'CopyDBSnapshot' ? 'snapshot' : 'cluster-snapshot';
      const source = this.tags.get(
        rdsArn(at, type, String(p.SourceDBSnapshotIdentifier ?? p.SourceDBClusterSnapshotIdentifier)),
      );
      const copied = p.CopyTags === 'true' ? (source ?? {}) : {};
      set(
        `${at}:${type}:${p.TargetDBSnapshotIdentifier ?? p.TargetDBClusterSnapshotIdentifier}`,
        { ...copied, ...added },
        true,
      );
    }
  }
}

/** An RDS identifier as an ARN (an ARN stays as given). */
function rdsArn(at: string, type: string, id: string): string {
  return id.startsWith('arn:') ? id : `${at}:${type}:${id}`;
}

/**
 * The requests AWS authorizes for one call: the call on each resource it names, then what the service does with
 * the caller's permissions.
 */
async function requestsFor(
  call: WorkflowRun['calls'][number],
  role: LocalRole,
  known: Knowledge,
  tags: ResourceTags,
  roles: ReadonlyMap<string, LocalRole>,
): Promise<AuthRequest[]> {
  const p = call.params;
  const prefix = SIGNING_TO_PREFIX[call.service] ?? call.service;
  const action = `${prefix}:${s3Action(call)}`;
  const account = role.account;
  const region = call.region;
  const viaService = (service: string) => ({
    'kms:ViaService': `${service}.${region}.amazonaws.com`,
    'kms:CallerAccount': account,
  });
  const on = (resource: string, extra: Partial<AuthRequest> = {}): AuthRequest => ({
    action,
    resource,
    account: resource.split(':')[4] || account,
    ...extra,
  });
  switch (call.service) {
    case 'rds':
      return rdsRequests(call, role, known, tags);
    case 'sns': {
      const topicArn = String(p.TopicArn ?? p.TargetArn ?? '*');
      const topic = known.topics.get(topicArn);
      const out = [on(topicArn, { resourcePolicy: topic?.policy })];
      if (call.action === 'Publish' && topic?.key)
        for (const kms of ['kms:GenerateDataKey', 'kms:Decrypt'])
          out.push(keyRequest(known, kms, topic.key, viaService('sns'), true));
      return out;
    }
    case 'dynamodb': {
      // A transaction is authorized operation by operation, each on its own table (there is no TransactWriteItems action).
      if (call.action === 'TransactWriteItems') {
        const operations = {
          Put: 'PutItem',
          Update: 'UpdateItem',
          Delete: 'DeleteItem',
          ConditionCheck: 'ConditionCheckItem',
        };
        const items = (p.TransactItems as Record<string, { TableName?: string }>[] | undefined) ?? [];
        const inner = items.flatMap((item) =>
          Object.entries(operations).flatMap(([kind, operation]) =>
            item[kind] ? [{ ...call, action: operation, params: item[kind] as Record<string, unknown> }] : [],
          ),
        );
        return (await Promise.all(inner.map((c) => requestsFor(c, role, known, tags, roles)))).flat();
      }
      const table = String(p.TableName ?? '*');
      const arn =
        table.startsWith('arn:') || table === '*' ? table : `arn:aws:dynamodb:${region}:${account}:table/${table}`;
      const out = [on(arn)];
      const key = known.tables.get(arn)?.key;
      const writes = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];
      if (key) {
        const needed = writes.includes(call.action)
          ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']
          : ['kms:Decrypt'];
        for (const kms of needed) out.push(keyRequest(known, kms, key, viaService('dynamodb'), true));
      }
      return out;
    }
    case 'kms': {
      const id = p.KeyId ?? p.DestinationKeyId;
      const key = toKeyArn(known, region, account, id);
      if (!key) return [on(typeof id === 'string' && id.startsWith('arn:') ? id : '*')];
      const alias = typeof id === 'string' && id.includes('alias/') ? id.slice(id.indexOf('alias/')) : undefined;
      return [keyRequest(known, action, key, { 'kms:CallerAccount': account }, false, alias)];
    }
    case 'secretsmanager': {
      const id = String(p.SecretId ?? '*');
      // A secret's ARN ends in six random characters; a policy naming the secret must allow for them.
      const arn =
        id.startsWith('arn:') || id === '*' ? id : `arn:aws:secretsmanager:${region}:${account}:secret:${id}-AbCdEf`;
      const out = [on(arn)];
      const key = known.secretKeys.get(
        id.replace(/^arn:aws:secretsmanager:[^:]+:\d+:secret:/, '').replace(/-.{6}$/, ''),
      );
      if (call.action === 'GetSecretValue' && key)
        out.push({
          ...keyRequest(known, 'kms:Decrypt', key, viaService('secretsmanager'), true),
          account: key.split(':')[4] ?? account,
        });
      return out;
    }
    case 's3': {
      const bucket = String(p.Bucket ?? '');
      if (!bucket) return [on('*')];
      const info = known.buckets.get(bucket);
      const resource =
        p.Key && !['ListObjectsV2', 'ListObjects', 'HeadBucket'].includes(call.action)
          ? `arn:aws:s3:::${bucket}/${p.Key}`
          : `arn:aws:s3:::${bucket}`;
      // A listing is judged with its prefix, which `s3:prefix` conditions read.
      const listing = ['ListObjectsV2', 'ListObjects'].includes(call.action) && p.Prefix !== undefined;
      const out = [
        on(resource, {
          account: info?.account ?? account,
          resourcePolicy: info?.policy,
          ...(listing ? { context: { 's3:prefix': String(p.Prefix) } } : {}),
        }),
      ];
      if (info?.key && call.action === 'PutObject')
        out.push(keyRequest(known, 'kms:GenerateDataKey', info.key, viaService('s3'), true));
      if (info?.key && (call.action === 'GetObject' || call.action === 'HeadObject'))
        out.push(keyRequest(known, 'kms:Decrypt', info.key, viaService('s3'), true));
      return out;
    }
    case 'sts': {
      if (call.action === 'GetCallerIdentity') return []; // needs no permission
      const target = String(p.RoleArn ?? '*');
      // AssumeRole needs the caller's identity policy and the target role's trust policy (its resource policy);
      // across accounts both must allow it. `trust` is the synthesized trust, without the harness's stand-in.
      const trust = roles.get(target)?.trust;
      return [on(target, trust ? { resourcePolicy: trust } : { note: 'the target role is not one of the templates' })];
    }
    case 'states':
      return [on(String(p.stateMachineArn ?? p.executionArn ?? '*'))];
    case 'monitoring':
      return [on('*', { context: p.Namespace ? { 'cloudwatch:namespace': String(p.Namespace) } : {} })];
    case 'lambda': {
      // Invoke is REST (`POST /2015-03-31/functions/<name or ARN>/invocations`); IAM names it InvokeFunction.
      const fn = /^POST \/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(call.action)?.[1];
      if (!fn) return [on('*')];
      const name = decodeURIComponent(fn);
      const arn = name.startsWith('arn:') ? name : `arn:aws:lambda:${region}:${account}:function:${name}`;
      return [{ ...on(arn), action: 'lambda:InvokeFunction' }];
    }
    default:
      // ec2, iam, logs, ...: no resource derived.
      return [on('*')];
  }
}

/** S3's REST operations as IAM actions; other services' actions are their API names. */
function s3Action(call: WorkflowRun['calls'][number]): string {
  if (call.service !== 's3') return call.action;
  const map: Record<string, string> = {
    HeadObject: 'GetObject',
    HeadBucket: 'ListBucket',
    ListObjectsV2: 'ListBucket',
    ListObjects: 'ListBucket',
    ListObjectVersions: 'ListBucketVersions',
  };
  return map[call.action] ?? call.action;
}

async function rdsRequests(
  call: WorkflowRun['calls'][number],
  role: LocalRole,
  known: Knowledge,
  tags: ResourceTags,
): Promise<AuthRequest[]> {
  const p = call.params;
  const account = role.account;
  const region = call.region;
  const at = `arn:aws:rds:${region}:${account}`;
  const action = `rds:${call.action}`;
  const arn = (type: string, id: unknown) => rdsArn(at, type, String(id));
  const given = (type: string, id: unknown) => (id === undefined ? [] : [arn(type, id)]);
  const requestTagContext = tagContext(requestTags(p));
  /**
   * The call on a resource, with the resource's tags as RDS's tag condition keys where known (`created`: the call
   * makes it, so it has no tags yet).
   */
  const on = async (resource: string, created = false, shared = false): Promise<AuthRequest> => {
    const type = resource.split(':')[5] ?? '';
    const existing =
      created || resource.includes('*') || !['snapshot', 'cluster-snapshot', 'db', 'cluster'].includes(type)
        ? {}
        : await tags.of(resource);
    const resourceTags = Object.fromEntries(
      Object.entries(existing ?? {}).flatMap(([k, v]) => [
        [`aws:ResourceTag/${k}`, v],
        [`rds:${type}-tag/${k}`, v],
      ]),
    );
    const owner = resource.split(':')[4] || account;
    return {
      action,
      resource,
      // A snapshot another account shares: RDS has no resource policies; the owner authorizes the use by the
      // snapshot's `restore` attribute (ModifyDBSnapshotAttribute, which the sharing workflow makes and its tests
      // check), so AWS evaluates the caller's identity policy alone, as for a resource of its own account.
      account: shared && owner !== account ? account : owner,
      context: { ...requestTagContext, ...resourceTags },
      ...(existing === undefined ? { note: "the resource's tags were not known to the evaluation" } : {}),
    };
  };
  /** RDS authorizes tags given on create or copy as AddTagsToResource on the new resource. */
  const tagOnCreate = (resource: string): AuthRequest[] =>
    Object.keys(requestTags(p)).length
      ? [{ action: 'rds:AddTagsToResource', resource, account, context: requestTagContext, implied: true }]
      : [];
  /** An RDS copy or restore under a CMK: RDS creates a grant for the new resource, with the caller's rights. */
  const grantFor = (keyId: unknown): AuthRequest[] => {
    const key = toKeyArn(known, region, account, keyId);
    if (!key) return [];
    const context = {
      'kms:ViaService': `rds.${region}.amazonaws.com`,
      'kms:GrantIsForAWSResource': 'true',
      'kms:CallerAccount': account,
    };
    return ['kms:CreateGrant', 'kms:DescribeKey'].map((a) => keyRequest(known, a, key, context, true));
  };
  /** The key a snapshot is encrypted with, as moto has it (a restore names the snapshot, not the key). */
  const snapshotKey = async (type: 'snapshot' | 'cluster-snapshot', id: unknown): Promise<string | undefined> => {
    if (typeof id !== 'string') return undefined;
    const [, , , r = region, acct = account] = id.startsWith('arn:') ? id.split(':') : [];
    const name = id.startsWith('arn:') ? (id.split(':')[6] ?? id) : id;
    try {
      const rds = tags.client(r, acct);
      if (type === 'snapshot') {
        const s = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: name }))).DBSnapshots?.[0];
        return s?.Encrypted ? s.KmsKeyId : undefined;
      }
      const s = (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: name })))
        .DBClusterSnapshots?.[0];
      return s?.StorageEncrypted ? s.KmsKeyId : undefined;
    } catch {
      return undefined;
    }
  };

  switch (call.action) {
    case 'DescribeDBSnapshots':
      return [
        await on(
          p.DBSnapshotIdentifier
            ? arn('snapshot', p.DBSnapshotIdentifier)
            : p.DBInstanceIdentifier
              ? arn('db', p.DBInstanceIdentifier)
              : `${at}:snapshot:*`,
        ),
      ];
    case 'DescribeDBClusterSnapshots':
      return [
        await on(
          p.DBClusterSnapshotIdentifier
            ? arn('cluster-snapshot', p.DBClusterSnapshotIdentifier)
            : p.DBClusterIdentifier
              ? arn('cluster', p.DBClusterIdentifier)
              : `${at}:cluster-snapshot:*`,
        ),
      ];
    case 'DescribeDBInstances':
      return [await on(p.DBInstanceIdentifier ? arn('db', p.DBInstanceIdentifier) : `${at}:db:*`)];
    case 'DescribeDBClusters':
      return [await on(p.DBClusterIdentifier ? arn('cluster', p.DBClusterIdentifier) : `${at}:cluster:*`)];
    case 'DescribeDBSubnetGroups':
      return [await on(p.DBSubnetGroupName ? arn('subgrp', p.DBSubnetGroupName) : `${at}:subgrp:*`)];
    case 'DescribeDBInstanceAutomatedBackups':
      return [await on(p.DBInstanceIdentifier ? arn('db', p.DBInstanceIdentifier) : '*')];
    case 'CreateDBSnapshot': {
      const target = arn('snapshot', p.DBSnapshotIdentifier);
      return [await on(target, true), await on(arn('db', p.DBInstanceIdentifier)), ...tagOnCreate(target)];
    }
    case 'CreateDBClusterSnapshot': {
      const target = arn('cluster-snapshot', p.DBClusterSnapshotIdentifier);
      return [await on(target, true), await on(arn('cluster', p.DBClusterIdentifier)), ...tagOnCreate(target)];
    }
    case 'CopyDBSnapshot':
    case 'CopyDBClusterSnapshot': {
      const type = call.action === 'CopyDBSnapshot' ? 'snapshot' : 'cluster-snapshot';
      const target = arn(type, p.TargetDBSnapshotIdentifier ?? p.TargetDBClusterSnapshotIdentifier);
      const source = arn(type, p.SourceDBSnapshotIdentifier ?? p.SourceDBClusterSnapshotIdentifier);
      return [await on(target, true), await on(source, false, true), ...tagOnCreate(target), ...grantFor(p.KmsKeyId)];
    }
    case 'DeleteDBSnapshot':
    case 'ModifyDBSnapshotAttribute':
      return [await on(arn('snapshot', p.DBSnapshotIdentifier))];
    case 'DeleteDBClusterSnapshot':
    case 'ModifyDBClusterSnapshotAttribute':
      return [await on(arn('cluster-snapshot', p.DBClusterSnapshotIdentifier))];
    case 'AddTagsToResource':
    case 'RemoveTagsFromResource':
    case 'ListTagsForResource':
      return [await on(String(p.ResourceName))];
    case 'DeleteDBInstance':
      return [await on(arn('db', p.DBInstanceIdentifier))];
    case 'DeleteDBCluster':
      return [await on(arn('cluster', p.DBClusterIdentifier))];
    case 'CreateDBInstance': {
      const target = arn('db', p.DBInstanceIdentifier);
      return [
        await on(target, true),
        ...(await Promise.all(
          [...given('cluster', p.DBClusterIdentifier), ...given('subgrp', p.DBSubnetGroupName)].map((r) => on(r)),
        )),
        ...tagOnCreate(target),
      ];
    }
    case 'RestoreDBInstanceFromDBSnapshot': {
      const target = arn('db', p.DBInstanceIdentifier);
      const source = p.DBSnapshotIdentifier ?? p.DBClusterSnapshotIdentifier;
      const sourceType = p.DBSnapshotIdentifier ? 'snapshot' : 'cluster-snapshot';
      return [
        await on(target, true),
        await on(arn(sourceType, source), false, true),
        ...(await Promise.all(given('subgrp', p.DBSubnetGroupName).map((r) => on(r)))),
        ...tagOnCreate(target),
        ...grantFor(p.KmsKeyId ?? (await snapshotKey(sourceType, source))),
      ];
    }
    case 'RestoreDBClusterFromSnapshot': {
      const target = arn('cluster', p.DBClusterIdentifier);
      const id = String(p.SnapshotIdentifier);
      const sourceType = id.includes(':snapshot:') ? 'snapshot' : 'cluster-snapshot';
      return [
        await on(target, true),
        await on(arn(sourceType, id), false, true),
        ...(await Promise.all(given('subgrp', p.DBSubnetGroupName).map((r) => on(r)))),
        ...tagOnCreate(target),
        ...grantFor(p.KmsKeyId ?? (await snapshotKey(sourceType, id))),
      ];
    }
    case 'RestoreDBInstanceToPointInTime': {
      const target = arn('db', p.TargetDBInstanceIdentifier);
      return [
        await on(target, true),
        ...(await Promise.all(
          [
            ...given('db', p.SourceDBInstanceIdentifier),
            ...(p.SourceDBInstanceAutomatedBackupsArn ? [String(p.SourceDBInstanceAutomatedBackupsArn)] : []),
            ...given('subgrp', p.DBSubnetGroupName),
          ].map((r) => on(r)),
        )),
        ...tagOnCreate(target),
        ...grantFor(p.KmsKeyId),
      ];
    }
    default:
      // DescribeAccountAttributes, DescribeOrderableDBInstanceOptions, ...: account-level, no resource.
      return [await on('*')];
  }
}
