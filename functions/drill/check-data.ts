import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { DrillCheck } from '../../infra/config/schema';
import { secrets } from '../commons/aws';
import { InvalidInput } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { now, optionalEnv } from '../commons/runtime';
import { runChecks } from './run-checks';
import { type CheckResult, type DrillVerdict, judgeDrill, type Waivers } from './verdict';

export interface CheckDataInput {
  /** Lifeline's id of the database, for the verdict's wording. */
  readonly database: string;
  readonly endpoint: { readonly host: string; readonly port: number };
  /** Given directly (local runs and tests), or read from `credentialsSecret` (a JSON secret with username and password). */
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly credentialsSecret?: string;
  readonly databaseName: string;
  readonly checks: DrillCheck[];
  readonly recoveryPointTime: string;
  readonly restoreStartedAt: string;
  readonly objectives: {
    readonly rpoSeconds: number;
    readonly rtoSeconds: number;
    /** Objectives the config lets go unmeasured, with the reasons. @default none */
    readonly waive?: Waivers;
  };
  /** TLS with certificate verification; RDS PostgreSQL 15+ refuses plain connections. @default true */
  readonly ssl?: boolean;
}

export interface CheckDataOutput {
  readonly results: CheckResult[];
  readonly firstGoodQueryAt?: string;
  readonly connectError?: string;
  readonly verdict: DrillVerdict;
}

/** Checks the restored database and judges the drill; a failed drill is a verdict, not an error. */
export async function checkData(input: CheckDataInput): Promise<CheckDataOutput> {
  const credentials = input.credentials ?? (await readCredentials(input.credentialsSecret));
  const run = await runChecks(
    {
      host: input.endpoint.host,
      port: input.endpoint.port,
      user: credentials.username,
      password: credentials.password,
      database: input.databaseName,
      // TLS unless told otherwise; DRILL_DB_TLS=off is for the local data plane, whose PostgreSQL has no TLS.
      ssl: input.ssl ?? optionalEnv('DRILL_DB_TLS') !== 'off',
    },
    input.checks,
    { recoveryPointTime: input.recoveryPointTime, rpoObjectiveSeconds: input.objectives.rpoSeconds, now },
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

async function readCredentials(secretId: string | undefined): Promise<{ username: string; password: string }> {
  if (!secretId) throw new InvalidInput('The check needs credentials or credentialsSecret');
  const secret = await secrets().send(new GetSecretValueCommand({ SecretId: secretId }));
  const parsed = JSON.parse(secret.SecretString ?? '{}') as { username?: string; password?: string };
  if (!parsed.username || !parsed.password)
    throw new InvalidInput(`Secret ${secretId} must be JSON with username and password`);
  return { username: parsed.username, password: parsed.password };
}

export const handler = lifelineHandler(checkData);
