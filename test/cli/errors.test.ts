import { describe, expect, it } from 'vitest';
import { EXIT, explainAwsError } from '../../infra/cli/errors';
import { recoveryPointOf } from '../../infra/cli/main';

const at = { service: 'states', action: 'StartExecution', region: 'eu-west-1' };
const awsError = (name: string, message: string, status?: number) =>
  Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

describe('AWS errors as sentences that say what to do first', () => {
  it.each([
    [
      awsError('ThrottlingException', 'Rate exceeded'),
      "AWS is throttling states:StartExecution in eu-west-1 (ThrottlingException), even after the SDK's retries: wait a minute and try again; if it persists, something else in the account is calling it hard.",
    ],
    [
      awsError(
        'AccessDeniedException',
        'User: arn:aws:sts::123456789012:assumed-role/ops/dana is not authorized to perform: states:StartExecution',
        400,
      ),
      'Access denied: arn:aws:sts::123456789012:assumed-role/ops/dana may not call states:StartExecution in eu-west-1. Allow states:StartExecution on that role (or use AWS_PROFILE with a role that has it) and try again.',
    ],
    [
      awsError('CredentialsProviderError', 'Could not load credentials from any providers'),
      'No AWS credentials were found for states:StartExecution in eu-west-1: set AWS_PROFILE to a profile that can reach the installation (for an SSO profile, run  aws sso login --profile <profile>  first), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then try again.',
    ],
    [
      awsError('ExpiredTokenException', 'The security token included in the request is expired'),
      'The AWS credentials were refused (ExpiredTokenException) for states:StartExecution in eu-west-1: they have expired or belong to no account here; renew them (aws sso login --profile <profile>, or fresh keys) and try again.',
    ],
  ])('%s', (error, sentence) => {
    // Act
    const explained = explainAwsError(error, at);
    // Assess
    expect(explained.message).toBe(sentence);
    expect(explained.exitCode).toBe(EXIT.environment);
  });
});

describe('access denied names the IAM action to allow, which is not always the call', () => {
  it.each([
    ['s3', 'ListObjectsV2', 'Access Denied', 'Allow s3:ListBucket on that role'],
    [
      'lambda',
      'Invoke',
      'not authorized to perform: lambda:InvokeFunction',
      'Allow lambda:InvokeFunction on that role',
    ],
    [
      's3',
      'GetObject',
      'User is not authorized to perform kms:Decrypt on the resource associated with this ciphertext',
      'Allow s3:GetObject and kms:Decrypt on its KMS key on that role',
    ],
  ])('%s:%s', (service, action, message, advice) => {
    // Act
    const explained = explainAwsError(awsError('AccessDenied', message, 403), { service, action, region: 'eu-west-1' });
    // Assess
    expect(explained.message).toContain(
      `may not call ${service}:${action} in eu-west-1. ${advice} (or use AWS_PROFILE`,
    );
  });
});

describe('--point', () => {
  it('reads latest, an ISO time and a snapshot id as the drill request says them', () => {
    expect(recoveryPointOf('latest')).toEqual({ type: 'latest' });
    expect(recoveryPointOf('2026-11-22T01:30:00Z')).toEqual({ type: 'pointInTime', time: '2026-11-22T01:30:00Z' });
    expect(recoveryPointOf('lifeline-orders-20261122t0200')).toEqual({
      type: 'snapshot',
      id: 'lifeline-orders-20261122t0200',
    });
  });
});
