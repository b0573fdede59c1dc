import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secrets } from '../commons/aws';
import { InvalidInput } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { now } from '../commons/runtime';
import type { CheckDataInput, CheckDataOutput } from './contracts';
import { runChecks } from './run-checks';
import { judgeDrill } from './verdict';

/** Checks the restored database and judges the drill; a failed drill is a verdict, not an error. */
export async function checkData(input: CheckDataInput): Promise<CheckDataOutput> {
  const credentials = await readCredentials(input.credentialsSecret);
  const run = await runChecks(
    {
      host: input.endpoint.host,
      port: input.endpoint.port,
      user: credentials.username,
      password: credentials.password,
      database: input.databaseName,
    },
    input.checks,
    {
      engine: input.engine,
      recoveryPointTime: input.recoveryPointTime,
      rpoObjectiveSeconds: input.objectives.rpoSeconds,
      now,
    },
  );
  const verdict = judgeDrill({
    database: input.database,
    checks: run.results,
    restoreStartedAt: input.restoreStartedAt,
    firstGoodQueryAt: run.firstGoodQueryAt,
    recoveryPointTime: input.recoveryPointTime,
    rtoObjectiveSeconds: input.objectives.rtoSeconds,
    rpoObjectiveSeconds: input.objectives.rpoSeconds,
    connectError: run.connectError,
    waive: input.objectives.waive,
  });
  logger.info(verdict.summary, {
    database: input.database,
    status: verdict.status,
    rto: verdict.rto,
    rpo: verdict.rpo,
  });
  return { ...run, verdict };
}

export async function readCredentials(secretId: string): Promise<{ username: string; password: string }> {
  const secret = await secrets().send(new GetSecretValueCommand({ SecretId: secretId }));
  const parsed = JSON.parse(secret.SecretString ?? '{}') as { username?: string; password?: string };
  if (!parsed.username || !parsed.password)
    throw new InvalidInput(`Secret ${secretId} must be JSON with username and password`);
  return { username: parsed.username, password: parsed.password };
}

export const handler = lifelineHandler(checkData);
