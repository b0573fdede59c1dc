import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { credentialsFor, LocalCloud } from './cloud';
import { type Moto, startMoto } from './moto';
import { type Synthesized, synthesize } from './synth';

/** Everything a workflow test needs: moto, the synthesized app, and the app "deployed" into moto. */
export interface LocalAws {
  readonly moto: Moto;
  readonly app: Synthesized;
  cloud: LocalCloud;
  /** Resets moto and deploys the app again: each test starts from an empty account. */
  fresh(): Promise<LocalCloud>;
  /** Subscribes a new SQS queue to a topic and returns a reader of the messages it got. */
  subscribe(topicArn: string, region: string): Promise<() => Promise<Array<{ Subject?: string; Message: string }>>>;
  /** A client against moto, acting as the default account or as `account` (e.g. the vault's). */
  client<C>(Client: new (config: object) => C, region: string, account?: string): C;
  stop(): Promise<void>;
}

export async function startLocalAws(config: LifelineConfigInput): Promise<LocalAws> {
  // The SDK, in handlers and here, reaches moto through the standard variables.
  process.env.AWS_ACCESS_KEY_ID ??= 'lifeline-local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'lifeline-local';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const moto = await startMoto();
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  const app = synthesize(config);
  const client = <C>(Client: new (config: object) => C, region: string, account?: string) =>
    new Client({
      region,
      endpoint: moto.endpoint,
      ...(account ? { credentials: credentialsFor(moto.endpoint, account) } : {}),
      ...(Client.name === 'S3Client' ? { forcePathStyle: true } : {}),
    });
  const local: LocalAws = {
    moto,
    app,
    cloud: await LocalCloud.deploy(moto.endpoint, app),
    async fresh() {
      await moto.reset();
      local.cloud = await LocalCloud.deploy(moto.endpoint, app);
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
        return (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}') as { Subject?: string; Message: string });
      };
    },
    client,
    stop: () => moto.stop(),
  };
  return local;
}
