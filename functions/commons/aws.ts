import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { env } from './runtime';

/**
 * SDK clients, one per service and region, created on first use and kept for the life of the container.
 * Tests replace them with aws-sdk-client-mock; the local harness runs the bundles and injects faults on the wire.
 */
type Client =
  | RDSClient
  | KMSClient
  | SNSClient
  | DynamoDBClient
  | SecretsManagerClient
  | S3Client
  | CloudWatchClient
  | SFNClient
  | LambdaClient;

const clients = new Map<string, Client>();

function cached<C extends Client>(key: string, create: () => C): C {
  let client = clients.get(key) as C | undefined;
  if (!client) {
    client = create();
    clients.set(key, client);
  }
  return client;
}

export const rds = (region = env('AWS_REGION')) => cached(`rds:${region}`, () => new RDSClient({ region }));
export const kms = (region = env('AWS_REGION')) => cached(`kms:${region}`, () => new KMSClient({ region }));
export const sns = (region = env('AWS_REGION')) => cached(`sns:${region}`, () => new SNSClient({ region }));
export const secrets = (region = env('AWS_REGION')) =>
  cached(`secrets:${region}`, () => new SecretsManagerClient({ region }));
export const s3 = (region = env('AWS_REGION')) => cached(`s3:${region}`, () => new S3Client({ region }));
export const dynamodb = (region = env('AWS_REGION')) =>
  cached(`dynamodb:${region}`, () => new DynamoDBClient({ region }));
export const cloudwatch = (region = env('AWS_REGION')) =>
  cached(`cloudwatch:${region}`, () => new CloudWatchClient({ region }));
export const lambda = (region = env('AWS_REGION')) => cached(`lambda:${region}`, () => new LambdaClient({ region }));
export const sfn = (region = env('AWS_REGION')) => cached(`sfn:${region}`, () => new SFNClient({ region }));

/**
 * Clients acting as another role, e.g. Lifeline's copier in the vault account: the role is assumed with STS
 * (from the function's own credentials, at the regional endpoint) and its credentials renewed before they expire.
 */
const assumed = (roleArn: string) =>
  fromTemporaryCredentials({
    params: { RoleArn: roleArn, RoleSessionName: 'lifeline', DurationSeconds: 900 },
    clientConfig: { region: env('AWS_REGION') },
  });
export const rdsAs = (roleArn: string, region: string) =>
  cached(`rds:${region}:${roleArn}`, () => new RDSClient({ region, credentials: assumed(roleArn) }));
export const kmsAs = (roleArn: string, region: string) =>
  cached(`kms:${region}:${roleArn}`, () => new KMSClient({ region, credentials: assumed(roleArn) }));
