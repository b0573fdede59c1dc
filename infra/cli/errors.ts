/**
 * What the CLI says when it cannot do what was asked: one sentence that says what to do first, and an exit code.
 * AWS errors are turned into such sentences here; nothing else in the CLI matches on error names.
 */

/** The exit codes (also in `lifeline --help`). */
export const EXIT = {
  ok: 0,
  /** A run failed, or status found something wrong. */
  failed: 1,
  /** A bad command line: unknown command or option, unknown database, a malformed value. */
  usage: 2,
  /** The environment: no stack, no credentials, access denied, throttled, AWS unreachable. */
  environment: 3,
} as const;

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
export const environmentError = (message: string, cause?: unknown) =>
  new CliError(message, EXIT.environment, { cause });

/** Which call failed: `cloudformation:DescribeStacks` in a region. */
export interface CallSite {
  readonly service: string;
  readonly action: string;
  readonly region: string;
}

const CREDENTIALS = new Set(['CredentialsProviderError', 'ProviderError', 'TokenProviderError']);
const EXPIRED = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
]);
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError',
  'UnauthorizedOperation',
  'AuthorizationErrorException',
]);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'ProvisionedThroughputExceededException',
]);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET']);

/** The principal AWS names in an access-denied message ("User: arn:aws:sts::…:assumed-role/x/y is not authorized"). */
const principalIn = (message: string) => /User: (arn:\S+)/.exec(message)?.[1];

/** The IAM action of an API call where the two names differ (ListObjectsV2 is allowed by s3:ListBucket). */
const IAM_ACTION: Record<string, string> = {
  's3:ListObjectsV2': 's3:ListBucket',
  's3:ListObjects': 's3:ListBucket',
  's3:HeadObject': 's3:GetObject',
  'lambda:Invoke': 'lambda:InvokeFunction',
};

/** An AWS SDK error as a sentence that says what to do first. */
export function explainAwsError(error: unknown, at: CallSite): CliError {
  const e = error as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? '';
  const message = e?.message ?? String(error);
  const call = `${at.service}:${at.action} in ${at.region}`;
  if (CREDENTIALS.has(name) || /Could not load credentials/i.test(message))
    return environmentError(
      `No AWS credentials were found for ${call}: set AWS_PROFILE to a profile that can reach the installation (for an SSO profile, run  aws sso login --profile <profile>  first), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then try again.`,
      error,
    );
  if (EXPIRED.has(name) || /token.*expired|session.*expired/i.test(message))
    return environmentError(
      `The AWS credentials were refused (${name}) for ${call}: they have expired or belong to no account here; renew them (aws sso login --profile <profile>, or fresh keys) and try again.`,
      error,
    );
  if (DENIED.has(name) || e.$metadata?.httpStatusCode === 403) {
    const who = principalIn(message);
    const api = `${at.service}:${at.action}`;
    // An object under a KMS key also needs kms:Decrypt: S3 says so with a KMS message under the same 403.
    const key = /kms/i.test(message) ? ' and kms:Decrypt on its KMS key' : '';
    return environmentError(
      `Access denied: ${who ? `${who} may not call` : 'your credentials may not call'} ${call}. Allow ${IAM_ACTION[api] ?? api}${key} on that role (or use AWS_PROFILE with a role that has it) and try again.`,
      error,
    );
  }
  if (THROTTLED.has(name))
    return environmentError(
      `AWS is throttling ${call} (${name}), even after the SDK's retries: wait a minute and try again; if it persists, something else in the account is calling it hard.`,
      error,
    );
  const code = e.code ?? (e as { cause?: { code?: string } }).cause?.code;
  if ((code && UNREACHABLE.has(code)) || name === 'TimeoutError')
    return environmentError(
      `AWS could not be reached for ${call} (${code ?? name}): check the network${process.env.AWS_ENDPOINT_URL ? ` and AWS_ENDPOINT_URL (${process.env.AWS_ENDPOINT_URL})` : ''}, then try again.`,
      error,
    );
  return environmentError(`${call} failed: ${name}: ${message}`, error);
}
