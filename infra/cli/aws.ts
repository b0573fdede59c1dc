import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { explainAwsError } from './errors';

/**
 * The CLI's AWS clients, one per service and region. They get a region and nothing else: credentials (AWS_PROFILE,
 * the keys, SSO), the endpoint (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) and retries come from the SDK's own
 * chain, so what the environment says is what the CLI does. With an endpoint of its own (an emulator), S3 is called
 * path-style: `bucket.127.0.0.1` would not resolve.
 */
const SERVICES = {
  cloudformation: CloudFormationClient,
  cloudwatch: CloudWatchClient,
  lambda: LambdaClient,
  rds: RDSClient,
  s3: S3Client,
  states: SFNClient,
} as const;

type Services = typeof SERVICES;
type ServiceName = keyof Services;

interface Sendable {
  send(command: unknown): Promise<unknown>;
}

const clients = new Map<string, Sendable>();

/** The client itself, for the functions' helpers that take one (e.g. listManualSnapshots). */
export function client(service: ServiceName, region: string): Sendable {
  const key = `${service}:${region}`;
  let found = clients.get(key);
  if (!found) {
    const Client = SERVICES[service] as unknown as new (config: object) => Sendable;
    const customEndpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    found = new Client({ region, ...(service === 's3' && customEndpoint ? { forcePathStyle: true } : {}) });
    clients.set(key, found);
  }
  return found;
}

/** Sends a command; an AWS error becomes a sentence that names the call (service:Action in region). */
export async function call<O>(
  service: ServiceName,
  region: string,
  command: { constructor: { name: string } } & object,
): Promise<O> {
  try {
    return (await client(service, region).send(command)) as O;
  } catch (error) {
    throw explainAwsError(error, { service, action: command.constructor.name.replace(/Command$/, ''), region });
  }
}

/** Like `call`, but hands back the error for the caller to judge first (e.g. a stack that does not exist). */
export async function attempt<O>(
  service: ServiceName,
  region: string,
  command: { constructor: { name: string } } & object,
): Promise<{ ok: true; value: O } | { ok: false; error: Error }> {
  try {
    return { ok: true, value: (await client(service, region).send(command)) as O };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

/** Awaits what a function's helper reads with the CLI's client; an AWS error becomes the sentence naming the call. */
export async function explained<T>(read: Promise<T>, service: ServiceName, action: string, region: string): Promise<T> {
  try {
    return await read;
  } catch (error) {
    throw explainAwsError(error, { service, action, region });
  }
}
