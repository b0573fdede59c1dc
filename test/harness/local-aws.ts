import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { ACCOUNT, LocalCloud } from './cloud';
import { type AwsEndpoint, launchEndpoint, needs } from './endpoint';
import { bootstrapAdmins, bootstrapCalls, openAccounts } from './iam';
import { type SynthesizedApp, synthesizeForRun } from './synth-cache';
import { WireProxy } from './wire';

/** A message as SNS delivers it to a queue: its JSON envelope. */
export interface Delivered {
  readonly Subject?: string;
  readonly Message: string;
  readonly TopicArn?: string;
  readonly Timestamp?: string;
  readonly MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/**
 * Everything a workflow test needs: the AWS endpoint (the embedded moto, or the one LIFELINE_TEST_ENDPOINT gives),
 * the synthesized app, and the app "deployed" there.
 */
export interface LocalAws {
  readonly endpoint: AwsEndpoint;
  /** Every client calls the endpoint through it: faults, the data plane and the record of calls live there. */
  readonly wire: WireProxy;
  readonly app: SynthesizedApp;
  cloud: LocalCloud;
  /**
   * Resets the endpoint and deploys the app again: each test starts from an empty account. Against an external
   * endpoint with no reset (see endpoint.ts) the test is skipped with the reason, given its context (a beforeEach
   * passes its own); without one that is an error.
   */
  fresh(test?: { skip(note?: string): void }): Promise<LocalCloud>;
  /** Subscribes a new SQS queue to a topic and returns a reader of the messages it got. */
  subscribe(topicArn: string, region: string): Promise<() => Promise<Delivered[]>>;
  /** A client against the endpoint (through the wire), as the deployer of the default account or of `account` (e.g. the vault's). */
  client<C>(Client: new (config: object) => C, region: string, account?: string): C;
  stop(): Promise<void>;
}

export async function startLocalAws(config: LifelineConfigInput): Promise<LocalAws> {
  // The embedded moto boots (a Python process) while this one synthesizes; an endpoint given is only asked once.
  const endpointReady = await launchEndpoint();
  const app = await synthesizeForRun(config);
  const endpoint = await endpointReady();
  const wire = await WireProxy.start(endpoint.url);
  const accountIds = [ACCOUNT, ...(app.config.vault ? [app.config.vault.account] : [])];
  /**
   * Empty accounts: in the embedded moto with IAM enforced, the admins made with the only unauthenticated calls;
   * elsewhere the endpoint reset if it can be (an earlier run's resources would collide), and open credentials.
   */
  const emptyAccounts = async () => {
    if (endpoint.enforceIam) {
      await endpoint.enforceIam(bootstrapCalls(accountIds));
      return bootstrapAdmins(wire.endpoint, accountIds);
    }
    await endpoint.reset?.();
    return openAccounts(wire.endpoint, accountIds);
  };
  const client = <C>(Client: new (config: object) => C, region: string, account = ACCOUNT) =>
    new Client({
      region,
      endpoint: wire.endpoint,
      credentials: accounts.admin(account),
      ...(Client.name === 'S3Client' ? { forcePathStyle: true } : {}),
    });
  let accounts = await emptyAccounts();
  // Sessions a function starts itself (the vault copy assumes the copier role) are Lifeline's roles too: the run's
  // record attributes their calls to the assumed role.
  wire.use({
    after(call, response) {
      if (call.service !== 'sts' || call.action !== 'AssumeRole' || response.status !== 200) return;
      const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(response.body)?.[1];
      const roleArn = String(call.params.RoleArn ?? '');
      if (key && local.cloud.iam.roles.has(roleArn)) local.cloud.iam.sessions.set(key, roleArn);
    },
  });
  // Step Functions calls of the functions (StartExecution, task callbacks) go to the current deployment's control plane.
  wire.use({
    before: (call) => (call.service === 'states' ? local.cloud.stepFunctions.interceptor().before?.(call) : undefined),
  });
  const local: LocalAws = {
    endpoint,
    wire,
    app,
    cloud: await LocalCloud.deploy(wire, app, accounts),
    async fresh(test) {
      if (!endpoint.enforceIam && !endpoint.reset) {
        test?.skip(`needs ${needs.reset}`);
        throw new Error(`This test needs ${needs.reset}.`);
      }
      // The embedded moto forgets every resource, then counts its unauthenticated calls anew; another is reset once.
      if (endpoint.enforceIam) await endpoint.reset?.();
      accounts = await emptyAccounts();
      wire.calls.length = 0;
      local.cloud = await LocalCloud.deploy(wire, app, accounts);
      return local.cloud;
    },
    async subscribe(topicArn, region) {
      const sqs = client(SQSClient, region);
      const queue = await sqs.send(
        new CreateQueueCommand({ QueueName: `alerts-${Math.random().toString(36).slice(2, 10)}` }),
      );
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      await client(SNSClient, region).send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: attrs.Attributes?.QueueArn }),
      );
      return async () => {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        return (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}') as Delivered);
      };
    },
    client,
    async stop() {
      await wire.stop();
      await endpoint.stop();
    },
  };
  return local;
}
