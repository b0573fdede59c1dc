import type { DrillCheck } from '../../infra/config/schema';
import { lifelineHandler, logger } from '../commons/handler';
import { now } from '../commons/runtime';
import { runChecks } from './run-checks';
import { type CheckResult, type DrillVerdict, judgeDrill } from './verdict';

export interface CheckDataInput {
  /** Lifeline's id of the database, for the verdict's wording. */
  readonly database: string;
  readonly endpoint: { readonly host: string; readonly port: number };
  readonly credentials: { readonly username: string; readonly password: string };
  readonly databaseName: string;
  readonly checks: DrillCheck[];
  readonly recoveryPointTime: string;
  readonly restoreStartedAt: string;
  readonly objectives: { readonly rpoSeconds: number; readonly rtoSeconds: number };
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
  const run = await runChecks(
    {
      host: input.endpoint.host,
      port: input.endpoint.port,
      user: input.credentials.username,
      password: input.credentials.password,
      database: input.databaseName,
      ssl: input.ssl ?? true,
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
  });
  logger.info(verdict.summary, {
    database: input.database,
    status: verdict.status,
    rto: verdict.rto,
    rpo: verdict.rpo,
  });
  return { ...run, verdict };
}

export const handler = lifelineHandler(checkData);
