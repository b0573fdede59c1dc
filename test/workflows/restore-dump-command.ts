import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ACCOUNT } from '../harness/cloud';
import type { LocalAws } from '../harness/local-aws';

const RESTORE_COMMAND = 'functions/dump/restore-dump.sh';

/** The documented restore command of an archived dump, as an operator runs it with the deployer's credentials, against moto. */
export async function restoreDumpCommand(
  aws: LocalAws,
  region: string,
  password: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const admin = aws.cloud.accounts.admin(ACCOUNT);
  try {
    const { stdout, stderr } = await promisify(execFile)('sh', [RESTORE_COMMAND, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        AWS_ACCESS_KEY_ID: admin.accessKeyId,
        AWS_SECRET_ACCESS_KEY: admin.secretAccessKey,
        AWS_DEFAULT_REGION: region,
        AWS_ENDPOINT_URL: aws.cloud.endpoint,
        DB_PASSWORD: password,
      },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
