import { join } from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateDBSubnetGroupCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  CreateBucketCommand,
  type ObjectLockConfiguration,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { type Accounts, LocalIam } from './iam';
import type { BundledFunction, Credentials } from './lambda-runtime';
import { StepFunctionsControl } from './step-functions';
import type { SynthesizedStack } from './synth';
import type { SynthesizedApp } from './synth-cache';
import type { WireProxy } from './wire';

export const ACCOUNT = '123456789012';

/** A resource of a synthesized stack as it exists in moto: what `Ref` and `Fn::GetAtt` give. */
interface Physical {
  readonly ref: string;
  readonly attrs: Record<string, string>;
}

export interface LocalFunction extends BundledFunction {
  readonly logicalId: string;
  readonly stack: SynthesizedStack;
  /** ARN of its execution role, as created in moto. */
  readonly roleArn: string;
}

export interface LocalStateMachine {
  readonly logicalId: string;
  readonly stack: SynthesizedStack;
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  readonly definition: Record<string, unknown>;
  /** ARN of its execution role, as created in moto: its integrations call AWS with these credentials. */
  readonly roleArn: string;
}

/** Deployments of this process, numbered: each gets fresh Lambda containers (module instances). */
let deployments = 0;

/**
 * The synthesized stacks "deployed" into moto: the resources the workflows touch (keys, aliases, topics,
 * tables, buckets, network) are created there; functions and state machines are kept here, with every
 * intrinsic resolved to what moto returned, and run in-process by `runWorkflow`.
 */
export class LocalCloud {
  readonly functions = new Map<string, LocalFunction>();
  readonly stateMachines = new Map<string, LocalStateMachine>();
  /** The ECS task definitions of the stacks, by the ARN their Ref gives: where a run finds its containers. */
  readonly taskDefinitions = new Map<string, { readonly stack: SynthesizedStack; readonly logicalId: string }>();
  private readonly physical = new Map<string, Physical>();

  readonly generation = ++deployments;
  /** Step Functions' control plane for this deployment: executions the functions start, task tokens. */
  readonly stepFunctions = new StepFunctionsControl();
  readonly iam: LocalIam;

  /** Where every client calls: the wire proxy in front of moto. */
  readonly endpoint: string;

  private constructor(
    readonly wire: WireProxy,
    readonly app: SynthesizedApp,
    readonly accounts: Accounts,
  ) {
    this.endpoint = wire.endpoint;
    this.iam = new LocalIam(wire.endpoint, accounts);
  }

  /**
   * "Deploys" the synthesized stacks into moto, with the admin credentials of each stack's account. IAM roles and
   * their policies are created as synthesized (moto enforces them); each function and state machine later calls
   * AWS with credentials of its own role.
   */
  static async deploy(wire: WireProxy, app: SynthesizedApp, accounts: Accounts): Promise<LocalCloud> {
    const cloud = new LocalCloud(wire, app, accounts);
    for (const stack of [app.templates.dr, app.templates.primary, app.templates.vault])
      if (stack) await cloud.deployStack(stack);
    for (const stack of [app.templates.dr, app.templates.primary, app.templates.vault])
      if (stack) await cloud.attachPolicies(stack);
    return cloud;
  }

  /** Credentials of a role this cloud created (a function's or a state machine's). */
  credentials(roleArn: string): Promise<Credentials> {
    return this.iam.roleCredentials(roleArn);
  }

  /** The state machine whose name ends with `suffix` (e.g. "-backup"). */
  stateMachine(suffix: string): LocalStateMachine {
    const found = [...this.stateMachines.values()].find((sm) => sm.name.endsWith(suffix));
    if (!found)
      throw new Error(
        `No state machine named *${suffix}; have ${[...this.stateMachines.values()].map((s) => s.name).join(', ')}`,
      );
    return found;
  }

  /** The physical id (`Ref`) of a resource of a stack. */
  physicalId(stack: SynthesizedStack, logicalId: string): string {
    const found = this.physical.get(`${stack.name}/${logicalId}`);
    if (!found) throw new Error(`${stack.name} has no deployed ${logicalId}`);
    return found.ref;
  }

  /** The physical id (`Ref`) of the first resource of `type` in a stack. */
  ref(stack: SynthesizedStack, type: string): string {
    const logicalId = Object.entries(stack.template.Resources).find(([, r]) => r.Type === type)?.[0];
    const found = logicalId && this.physical.get(`${stack.name}/${logicalId}`);
    if (!found) throw new Error(`${stack.name} has no deployed ${type}`);
    return found.ref;
  }

  private async deployStack(stack: SynthesizedStack): Promise<void> {
    const { region, account } = stack;
    const resources = Object.entries(stack.template.Resources);
    const order = [
      'AWS::EC2::VPC',
      'AWS::IAM::Role',
      'AWS::KMS::Key',
      'AWS::KMS::Alias',
      'AWS::EC2::Subnet',
      'AWS::EC2::SecurityGroup',
      'AWS::RDS::DBSubnetGroup',
    ];
    const rank = (type: string) => (order.includes(type) ? order.indexOf(type) : order.length);
    // Resources of one rank do not refer to each other: they are created at once, ranks one after the other.
    const ranks = [...new Set(resources.map(([, r]) => rank(r.Type)))].sort((a, b) => a - b);
    const config = { region, endpoint: this.endpoint, credentials: this.accounts.admin(account) };
    for (const current of ranks)
      await Promise.all(
        resources
          .filter(([, r]) => rank(r.Type) === current)
          .map(([logicalId, resource]) => this.deployResource(stack, config, logicalId, resource)),
      );
    // Functions and definitions refer to each other, to roles and topics: resolve them once the stack exists.
    for (const fn of this.pendingFunctions.splice(0)) {
      const props = fn.stack.template.Resources[fn.logicalId]?.Properties ?? {};
      const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
        {}) as Record<string, unknown>;
      this.functions.set(fn.arn, {
        logicalId: fn.logicalId,
        stack: fn.stack,
        arn: fn.arn,
        name: fn.name,
        region,
        assetDir: join(this.app.outdir, `asset.${fn.hash}`),
        handler: String(props.Handler ?? 'index.handler'),
        environment: Object.fromEntries(
          Object.entries(variables).map(([k, v]) => [k, String(this.resolve(fn.stack, v))]),
        ),
        memorySize: Number(props.MemorySize ?? 128),
        timeoutSeconds: Number(props.Timeout ?? 3),
        roleArn: String(this.resolve(fn.stack, props.Role)),
      });
    }
    for (const sm of this.pendingDefinitions.splice(0)) {
      const props = sm.stack.template.Resources[sm.logicalId]?.Properties ?? {};
      const definition = JSON.parse(this.resolve(sm.stack, props.DefinitionString) as string) as Record<
        string,
        unknown
      >;
      this.stateMachines.set(sm.arn, {
        logicalId: sm.logicalId,
        stack: sm.stack,
        arn: sm.arn,
        name: sm.name,
        region: sm.stack.region,
        definition,
        roleArn: String(this.resolve(sm.stack, props.RoleArn)),
      });
    }
  }

  private async deployResource(
    stack: SynthesizedStack,
    config: { region: string; endpoint: string; credentials: Credentials },
    logicalId: string,
    resource: SynthesizedStack['template']['Resources'][string],
  ): Promise<void> {
    const { region, account } = stack;
    const props = (resource.Properties ?? {}) as Record<string, unknown>;
    const resolve = (value: unknown) => this.resolve(stack, value);
    const set = (ref: string, attrs: Record<string, string> = {}) =>
      this.physical.set(`${stack.name}/${logicalId}`, { ref, attrs });
    const arn = (service: string, resourcePart: string) => `arn:aws:${service}:${region}:${account}:${resourcePart}`;
    switch (resource.Type) {
      case 'AWS::IAM::Role': {
        // The harness puts only inline policies on roles; a managed one would leave the role short in moto.
        if (props.ManagedPolicyArns)
          throw new Error(`${stack.name}/${logicalId}: the harness does not attach managed policies yet`);
        const name = (resolve(props.RoleName) as string | undefined) ?? `${stack.name}-${logicalId}`.slice(0, 64);
        const roleArn = await this.iam.createRole(account, name, resolve(props.AssumeRolePolicyDocument), {
          stack: stack.name,
          logicalId,
        });
        set(name, { Arn: roleArn, RoleId: name });
        for (const policy of (props.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }>) ?? [])
          this.pendingPolicies.push({
            stack,
            roles: [name],
            name: policy.PolicyName,
            document: policy.PolicyDocument,
          });
        break;
      }
      case 'AWS::IAM::Policy': {
        set(logicalId);
        this.pendingPolicies.push({
          stack,
          roles: (props.Roles as unknown[]) ?? [],
          name: String(props.PolicyName),
          document: props.PolicyDocument,
        });
        break;
      }
      case 'AWS::KMS::Key': {
        const out = await new KMSClient(config).send(
          new CreateKeyCommand({ Description: resolve(props.Description) as string }),
        );
        set(out.KeyMetadata?.KeyId ?? '', { Arn: out.KeyMetadata?.Arn ?? '', KeyId: out.KeyMetadata?.KeyId ?? '' });
        break;
      }
      case 'AWS::KMS::Alias': {
        const name = resolve(props.AliasName) as string;
        await new KMSClient(config).send(
          new CreateAliasCommand({ AliasName: name, TargetKeyId: resolve(props.TargetKeyId) as string }),
        );
        set(name);
        break;
      }
      case 'AWS::SNS::Topic': {
        const name = (resolve(props.TopicName) as string | undefined) ?? `${stack.name}-${logicalId}`;
        const out = await new SNSClient(config).send(new CreateTopicCommand({ Name: name }));
        set(out.TopicArn ?? '', { TopicArn: out.TopicArn ?? '', TopicName: name });
        break;
      }
      case 'AWS::DynamoDB::Table': {
        const name = (resolve(props.TableName) as string | undefined) ?? `${stack.name}-${logicalId}`;
        await new DynamoDBClient(config).send(
          new CreateTableCommand({
            TableName: name,
            KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
            AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
        set(name, { Arn: arn('dynamodb', `table/${name}`) });
        break;
      }
      case 'AWS::S3::Bucket': {
        const name =
          (resolve(props.BucketName) as string | undefined) ?? `${stack.name}-${logicalId}`.toLowerCase().slice(0, 63);
        const s3 = new S3Client({ ...config, forcePathStyle: true });
        await s3.send(
          new CreateBucketCommand({
            Bucket: name,
            ObjectLockEnabledForBucket: props.ObjectLockEnabled === true,
            ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
          }),
        );
        if (props.VersioningConfiguration)
          await s3.send(
            new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
          );
        // The default retention of every new version (a template property that the CreateBucket call cannot carry).
        if (props.ObjectLockConfiguration)
          await s3.send(
            new PutObjectLockConfigurationCommand({
              Bucket: name,
              ObjectLockConfiguration: resolve(props.ObjectLockConfiguration) as ObjectLockConfiguration,
            }),
          );
        set(name, { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com` });
        break;
      }
      case 'AWS::EC2::VPC': {
        const out = await new EC2Client(config).send(
          new CreateVpcCommand({ CidrBlock: resolve(props.CidrBlock) as string }),
        );
        set(out.Vpc?.VpcId ?? '', { VpcId: out.Vpc?.VpcId ?? '' });
        break;
      }
      case 'AWS::EC2::Subnet': {
        const out = await new EC2Client(config).send(
          new CreateSubnetCommand({
            VpcId: resolve(props.VpcId) as string,
            CidrBlock: resolve(props.CidrBlock) as string,
            AvailabilityZone: resolve(props.AvailabilityZone) as string,
          }),
        );
        set(out.Subnet?.SubnetId ?? '', { SubnetId: out.Subnet?.SubnetId ?? '' });
        break;
      }
      case 'AWS::EC2::SecurityGroup': {
        const out = await new EC2Client(config).send(
          new CreateSecurityGroupCommand({
            GroupName: `${stack.name}-${logicalId}`,
            Description: (resolve(props.GroupDescription) as string) ?? logicalId,
            VpcId: resolve(props.VpcId) as string,
          }),
        );
        set(out.GroupId ?? '', { GroupId: out.GroupId ?? '' });
        break;
      }
      case 'AWS::RDS::DBSubnetGroup': {
        const name = (
          (resolve(props.DBSubnetGroupName) as string | undefined) ?? `${stack.name}-${logicalId}`
        ).toLowerCase();
        await new RDSClient(config).send(
          new CreateDBSubnetGroupCommand({
            DBSubnetGroupName: name,
            DBSubnetGroupDescription: resolve(props.DBSubnetGroupDescription) as string,
            SubnetIds: resolve(props.SubnetIds) as string[],
          }),
        );
        set(name);
        break;
      }
      case 'AWS::Lambda::Function': {
        const name = (resolve(props.FunctionName) as string | undefined) ?? `${stack.name}-${logicalId}`.slice(0, 64);
        const functionArn = arn('lambda', `function:${name}`);
        set(name, { Arn: functionArn });
        const key = (props.Code as { S3Key?: unknown } | undefined)?.S3Key;
        const hash = typeof key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(key)?.[1] : undefined;
        if (!hash)
          throw new Error(`${stack.name}/${logicalId}: no bundled asset in its Code (${JSON.stringify(props.Code)})`);
        this.pendingFunctions.push({ stack, logicalId, name, arn: functionArn, hash });
        break;
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = (resolve(props.StateMachineName) as string | undefined) ?? `${stack.name}-${logicalId}`;
        const smArn = arn('states', `stateMachine:${name}`);
        set(smArn, { Arn: smArn, Name: name });
        this.pendingDefinitions.push({ stack, logicalId, name, arn: smArn });
        break;
      }
      // Not in moto: the harness runs a task definition's containers itself (ecs-task.ts); CloudFormation's Ref of a
      // task definition is its ARN, of a cluster its name.
      case 'AWS::ECS::TaskDefinition': {
        const taskArn = arn('ecs', `task-definition/${resolve(props.Family) ?? logicalId}:1`);
        set(taskArn, { TaskDefinitionArn: taskArn });
        this.taskDefinitions.set(taskArn, { stack, logicalId });
        break;
      }
      case 'AWS::ECS::Cluster': {
        const name = (resolve(props.ClusterName) as string | undefined) ?? `${stack.name}-${logicalId}`;
        set(name, { Arn: arn('ecs', `cluster/${name}`) });
        break;
      }
      default:
        set(logicalId);
    }
  }

  /** Puts each synthesized policy on its roles, once every resource the policies name exists. */
  private async attachPolicies(stack: SynthesizedStack): Promise<void> {
    await Promise.all(
      this.pendingPolicies
        .filter((p) => p.stack === stack)
        .flatMap((policy) => {
          const roles = this.resolve(stack, policy.roles) as string[];
          const document = this.resolve(stack, policy.document);
          return roles.map((role) => this.iam.putRolePolicy(stack.account, role, policy.name, document));
        }),
    );
  }

  private readonly pendingDefinitions: Array<{
    stack: SynthesizedStack;
    logicalId: string;
    name: string;
    arn: string;
  }> = [];

  private readonly pendingFunctions: Array<{
    stack: SynthesizedStack;
    logicalId: string;
    name: string;
    arn: string;
    hash: string;
  }> = [];

  private readonly pendingPolicies: Array<{
    stack: SynthesizedStack;
    roles: unknown[];
    name: string;
    document: unknown;
  }> = [];

  /** The ARN CloudFormation would give a resource the harness does not create in moto (log groups, ...). */
  private unmodelledArn(stack: SynthesizedStack, logicalId: string): string | undefined {
    const resource = stack.template.Resources[logicalId];
    if (!resource) return undefined;
    const name = `${stack.name}-${logicalId}`;
    const at = `${stack.region}:${stack.account}`;
    switch (resource.Type) {
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${at}:log-group:${(resource.Properties?.LogGroupName as string) ?? name}:*`;
      case 'AWS::Scheduler::ScheduleGroup':
        return `arn:aws:scheduler:${at}:schedule-group:${(resource.Properties?.Name as string) ?? name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${at}:${name}`;
      case 'AWS::Events::Rule':
        return `arn:aws:events:${at}:rule/${name}`;
      default:
        return undefined;
    }
  }

  /** Resolves CloudFormation intrinsics against what was created in moto. */
  resolve(stack: SynthesizedStack, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (!value || typeof value !== 'object') return value;
    const v = value as Record<string, unknown>;
    if ('Ref' in v) {
      const name = v.Ref as string;
      const pseudo: Record<string, string> = {
        'AWS::Region': stack.region,
        'AWS::AccountId': stack.account,
        'AWS::Partition': 'aws',
        'AWS::URLSuffix': 'amazonaws.com',
        'AWS::StackName': stack.name,
      };
      if (name in pseudo) return pseudo[name];
      const found = this.physical.get(`${stack.name}/${name}`);
      if (!found) throw new Error(`${stack.name}: Ref to ${name}, which is not deployed (yet)`);
      return found.ref;
    }
    if ('Fn::GetAtt' in v) {
      const [logicalId, attr] = v['Fn::GetAtt'] as [string, string];
      const found = this.physical.get(`${stack.name}/${logicalId}`);
      const resolved = found?.attrs[attr] ?? (attr === 'Arn' ? this.unmodelledArn(stack, logicalId) : undefined);
      if (resolved === undefined) throw new Error(`${stack.name}: Fn::GetAtt ${logicalId}.${attr} is not known`);
      return resolved;
    }
    if ('Fn::Sub' in v && typeof v['Fn::Sub'] === 'string') {
      return (v['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_, name: string) =>
        String(this.resolve(stack, name.includes('.') ? { 'Fn::GetAtt': name.split('.') } : { Ref: name })),
      );
    }
    if ('Fn::Join' in v) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      return (this.resolve(stack, parts) as unknown[]).join(separator);
    }
    if ('Fn::Select' in v) {
      const [index, list] = v['Fn::Select'] as [number, unknown];
      return (this.resolve(stack, list) as unknown[])[Number(index)];
    }
    if ('Fn::Split' in v) {
      const [separator, source] = v['Fn::Split'] as [string, unknown];
      return String(this.resolve(stack, source)).split(separator);
    }
    if ('Fn::GetAZs' in v) return ['a', 'b', 'c'].map((z) => `${stack.region}${z}`);
    return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, this.resolve(stack, inner)]));
  }
}
