import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateDBSubnetGroupCommand, RDSClient } from '@aws-sdk/client-rds';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Synthesized, SynthesizedStack } from './synth';

export const ACCOUNT = '123456789012';

/**
 * Credentials that act as `account` in moto (undefined: the default account). moto tells accounts apart by
 * the credentials' access key: assuming any role of another account (moto does not require it to exist)
 * gives credentials that act as that account.
 */
export function credentialsFor(endpoint: string, account: string) {
  if (account === ACCOUNT) return undefined;
  return fromTemporaryCredentials({
    params: { RoleArn: `arn:aws:iam::${account}:role/lifeline-local`, RoleSessionName: 'lifeline-local' },
    clientConfig: { region: 'us-east-1', endpoint },
  });
}

/** A resource of a synthesized stack as it exists in moto: what `Ref` and `Fn::GetAtt` give. */
interface Physical {
  readonly ref: string;
  readonly attrs: Record<string, string>;
}

export interface LocalFunction {
  readonly logicalId: string;
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  /** Handler source relative to the repository root (from the function's metadata). */
  readonly entry: string;
  readonly environment: Record<string, string>;
}

export interface LocalStateMachine {
  readonly logicalId: string;
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  readonly definition: Record<string, unknown>;
}

/**
 * The synthesized stacks "deployed" into moto: the resources the workflows touch (keys, aliases, topics,
 * tables, buckets, network) are created there; functions and state machines are kept here, with every
 * intrinsic resolved to what moto returned, and run in-process by `runWorkflow`.
 */
export class LocalCloud {
  readonly functions = new Map<string, LocalFunction>();
  readonly stateMachines = new Map<string, LocalStateMachine>();
  private readonly physical = new Map<string, Physical>();

  private constructor(
    readonly endpoint: string,
    readonly app: Synthesized,
  ) {}

  static async deploy(endpoint: string, app: Synthesized): Promise<LocalCloud> {
    const cloud = new LocalCloud(endpoint, app);
    for (const stack of [app.templates.dr, app.templates.primary, app.templates.vault])
      if (stack) await cloud.deployStack(stack);
    return cloud;
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
      'AWS::KMS::Key',
      'AWS::KMS::Alias',
      'AWS::EC2::Subnet',
      'AWS::EC2::SecurityGroup',
      'AWS::RDS::DBSubnetGroup',
    ];
    const rank = (type: string) => (order.includes(type) ? order.indexOf(type) : order.length);
    resources.sort(([, a], [, b]) => rank(a.Type) - rank(b.Type));
    const config = { region, endpoint: this.endpoint, credentials: credentialsFor(this.endpoint, account) };
    for (const [logicalId, resource] of resources) {
      const props = (resource.Properties ?? {}) as Record<string, unknown>;
      const resolve = (value: unknown) => this.resolve(stack, value);
      const set = (ref: string, attrs: Record<string, string> = {}) =>
        this.physical.set(`${stack.name}/${logicalId}`, { ref, attrs });
      const arn = (service: string, resourcePart: string) => `arn:aws:${service}:${region}:${account}:${resourcePart}`;
      switch (resource.Type) {
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
            (resolve(props.BucketName) as string | undefined) ??
            `${stack.name}-${logicalId}`.toLowerCase().slice(0, 63);
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
          const name = `${stack.name}-${logicalId}`.slice(0, 64);
          const functionArn = arn('lambda', `function:${name}`);
          set(name, { Arn: functionArn });
          const entry = resource.Metadata?.['lifeline:entry'];
          if (typeof entry === 'string') {
            const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
              {}) as Record<string, unknown>;
            this.functions.set(functionArn, {
              logicalId,
              arn: functionArn,
              name,
              region,
              entry,
              environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(resolve(v))])),
            });
          }
          break;
        }
        case 'AWS::StepFunctions::StateMachine': {
          const name = (resolve(props.StateMachineName) as string | undefined) ?? `${stack.name}-${logicalId}`;
          const smArn = arn('states', `stateMachine:${name}`);
          set(smArn, { Arn: smArn, Name: name });
          this.pendingDefinitions.push({ stack, logicalId, name, arn: smArn });
          break;
        }
        default:
          set(logicalId);
      }
    }
    // Definitions refer to functions and topics: resolve them once everything in the stack exists.
    for (const sm of this.pendingDefinitions.splice(0)) {
      const props = sm.stack.template.Resources[sm.logicalId]?.Properties ?? {};
      const definition = JSON.parse(this.resolve(sm.stack, props.DefinitionString) as string) as Record<
        string,
        unknown
      >;
      this.stateMachines.set(sm.arn, {
        logicalId: sm.logicalId,
        arn: sm.arn,
        name: sm.name,
        region: sm.stack.region,
        definition,
      });
    }
  }

  private readonly pendingDefinitions: Array<{
    stack: SynthesizedStack;
    logicalId: string;
    name: string;
    arn: string;
  }> = [];

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
      const resolved = found?.attrs[attr];
      if (resolved === undefined) throw new Error(`${stack.name}: Fn::GetAtt ${logicalId}.${attr} is not known`);
      return resolved;
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
