import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../state-machines/lifeline-function';
import { ACCOUNT } from './cloud';
import { externalEndpoint } from './endpoint';
import { openAccounts } from './iam';
import { freePort } from './ports';

/**
 * The harness against an endpoint it did not start: a moto server started apart, as LocalStack would be. What the
 * workflow files then do through it is run by `npm run test:endpoint` (test/harness/run-against-endpoint.ts).
 */
const VAULT = '210987654321';
let server: ChildProcess;
let url: string;

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawn(
    process.env.LIFELINE_PYTHON ?? 'python3',
    [join(PROJECT_ROOT, 'test', 'harness', 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port)],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto server did not answer on ${url}`);
}, 60_000);
afterAll(() => {
  server?.kill('SIGTERM');
});

const buckets = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
  new S3Client({ region: 'us-east-1', endpoint: url, forcePathStyle: true, credentials });

describe('an endpoint the harness did not start', () => {
  it('is used as it is: nothing to stop, no reset unless one is given', async () => {
    // Act
    const endpoint = await externalEndpoint(`${url}/`, undefined);
    // Assess
    expect(endpoint).toMatchObject({ url, embedded: false });
    expect(endpoint.reset).toBeUndefined();
    expect(endpoint.enforceIam).toBeUndefined();
  });

  it('gives each account credentials of its own without IAM users, the accounts apart', async () => {
    // Act
    const accounts = await openAccounts(url, [ACCOUNT, VAULT]);
    await buckets(accounts.admin(ACCOUNT)).send(new CreateBucketCommand({ Bucket: 'lifeline-own' }));
    await buckets(accounts.admin(VAULT)).send(new CreateBucketCommand({ Bucket: 'lifeline-vault-own' }));
    // Assess
    const own = await buckets(accounts.admin(ACCOUNT)).send(new ListBucketsCommand({}));
    const vault = await buckets(accounts.admin(VAULT)).send(new ListBucketsCommand({}));
    expect(own.Buckets?.map((b) => b.Name)).toEqual(['lifeline-own']);
    expect(vault.Buckets?.map((b) => b.Name)).toEqual(['lifeline-vault-own']);
    expect(() => accounts.admin('999999999999')).toThrow(/no credentials of account 999999999999/);
  });

  it('is reset by the URL given for it, and says so when that fails', async () => {
    // Prepare
    const accounts = await openAccounts(url, [ACCOUNT]);
    const endpoint = await externalEndpoint(url, `${url}/moto-api/reset`);
    // Act
    await endpoint.reset?.();
    // Assess
    const left = await buckets(accounts.admin(ACCOUNT)).send(new ListBucketsCommand({}));
    expect(left.Buckets ?? []).toEqual([]);
    const wrong = await externalEndpoint(url, `${url}/no-such-reset`);
    await expect(wrong.reset?.()).rejects.toThrow(
      new RegExp(`^The reset of ${url} \\(POST ${url}/no-such-reset\\) failed: [45]\\d\\d$`),
    );
  });

  it('says how to start it when it does not answer', async () => {
    // Prepare
    const closed = `http://127.0.0.1:${await freePort()}`;
    // Act, Assess
    await expect(externalEndpoint(closed, undefined)).rejects.toThrow(
      new RegExp(`^LIFELINE_TEST_ENDPOINT=${closed} does not answer \\(.+\\): start it first`),
    );
  });
});
