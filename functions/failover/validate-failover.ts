import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { ENV } from '../commons/contracts';
import { InvalidInput } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { isoTime, notAnObject, problemsOf, shown } from '../commons/request-checks';
import { env } from '../commons/runtime';
import { type FailoverPlan, type FailoverRequest, SCENARIOS, type ValidateFailoverInput } from './contracts';

/** RDS keeps automated backups (what a point-in-time restore reads) for at most 35 days. */
const MAX_POINT_AGE_MS = 35 * 86_400_000;
const oneLine = (what: string, max: number) =>
  z.string({ error: `expected ${what}, one line of at most ${max} characters` }).check(
    z.minLength(1, { error: `expected ${what}, one line of at most ${max} characters` }),
    z.maxLength(max, { error: `expected ${what}, one line of at most ${max} characters` }),
    z.refine((text) => ![...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), {
      error: `expected ${what}, one line of at most ${max} characters`,
    }),
  );

const request = z.strictObject(
  {
    database: z.string({ error: 'expected the id of a database listed in failover.databases' }),
    scenario: z.enum(SCENARIOS, { error: `expected one of ${SCENARIOS.map((s) => `"${s}"`).join(', ')}` }),
    dryRun: z.optional(z.boolean({ error: 'expected true or false' })),
    pointInTime: z.optional(isoTime('expected an ISO-8601 time with a zone, such as 2026-12-01T09:40:00Z')),
    cleanBefore: z.optional(isoTime('expected an ISO-8601 time with a zone, such as 2026-12-01T09:40:00Z')),
    approval: z.optional(
      z.strictObject({ waive: oneLine('the reason the approval is waived, in words', 300) }, { error: notAnObject }),
    ),
    startedBy: z.optional(oneLine('who starts the failover', 200)),
    drill: z.optional(z.boolean({ error: 'expected true or false' })),
  },
  { error: notAnObject },
);

/**
 * What is wrong with a failover request, each problem in words for the person who typed it; none if it is one
 * this workflow can run for a database of `catalog`. Pure: the clock is `startTime`.
 */
export function failoverRequestProblems(
  input: unknown,
  catalog: ValidateFailoverInput['catalog'],
  settings: Pick<ValidateFailoverInput['settings'], 'approvalWaivable'>,
  startTime: string,
): string[] {
  const problems = problemsOf(request, input);
  const given = (input && typeof input === 'object' ? input : {}) as Partial<Record<keyof FailoverRequest, unknown>>;
  if (typeof given.database === 'string' && !Object.hasOwn(catalog, given.database)) {
    const known = Object.keys(catalog).sort().join(', ') || 'none';
    problems.push(
      `database: ${shown(given.database)} is not a database that fails over (failover.databases: ${known})`,
    );
  }
  const start = Date.parse(startTime);
  const timeProblem = (field: 'pointInTime' | 'cleanBefore') => {
    const value = given[field];
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) return;
    const at = Date.parse(value);
    if (at > start) problems.push(`${field}: ${value} is in the future (the failover started ${startTime})`);
    else if (field === 'pointInTime' && at < start - MAX_POINT_AGE_MS)
      problems.push(
        `pointInTime: ${value} is more than 35 days before ${startTime}; RDS keeps automated backups at most 35 days`,
      );
  };
  timeProblem('pointInTime');
  timeProblem('cleanBefore');
  const scenario = given.scenario;
  if (scenario === 'database-corruption' && given.pointInTime === undefined)
    problems.push(
      'pointInTime: is required for database-corruption: the last moment the data was known good, before the corruption (the latest point would restore the corruption too)',
    );
  if (scenario !== 'database-corruption' && given.pointInTime !== undefined && SCENARIOS.includes(scenario as never))
    problems.push(
      `pointInTime: only database-corruption restores to a chosen point; ${String(scenario)} recovers ${scenario === 'ransomware' ? 'the newest vault copy at or before cleanBefore' : 'the newest point it can'}`,
    );
  if (scenario === 'ransomware' && given.cleanBefore === undefined)
    problems.push(
      'cleanBefore: is required for ransomware: the newest moment before the attack; only vault copies taken at or before it are restored',
    );
  if (scenario !== 'ransomware' && given.cleanBefore !== undefined && SCENARIOS.includes(scenario as never))
    problems.push('cleanBefore: only ransomware takes cleanBefore; leave it out');
  if (given.drill === true && given.approval !== undefined)
    problems.push(
      'approval: a failover drill waives the approval itself (it changes nothing in production); leave approval out',
    );
  else if (given.approval !== undefined && !settings.approvalWaivable)
    problems.push(
      'approval: this installation does not let a request waive the approval (failover.approval.waivable is false)',
    );
  return problems;
}

/** Why a failover drill goes ahead unapproved, as its record says. */
export const DRILL_WAIVER =
  'a failover drill: it restores a copy and switches a shadow record, and changes nothing in production';

/** First state of every failover: a malformed request stops here, before any read or change. */
export async function validateFailover(input: ValidateFailoverInput): Promise<FailoverPlan> {
  const problems = failoverRequestProblems(input.request, input.catalog, input.settings, input.startTime);
  if (problems.length > 0)
    throw new InvalidInput(`Failover request rejected, nothing was changed: ${problems.join('; ')}`);
  const req = input.request as FailoverRequest;
  const entry = input.catalog[req.database] as FailoverPlan['entry'];
  const suffix = createHash('sha256').update(input.execution).digest('hex').slice(0, 8);
  const drill = req.drill === true;
  return {
    database: req.database,
    scenario: req.scenario,
    dryRun: req.dryRun ?? false,
    pointInTime: req.pointInTime ?? null,
    cleanBefore: req.cleanBefore ?? null,
    approval: drill
      ? { required: false, waiver: DRILL_WAIVER }
      : { required: req.approval === undefined, waiver: req.approval?.waive.trim() ?? null },
    startedBy: req.startedBy ?? null,
    entry,
    // A drill knows only the shadow record: every later step switches, verifies and deletes that one.
    settings: drill ? { ...input.settings, recordName: entry.drillRecordName, healthCheckId: null } : input.settings,
    drill: drill ? { productionRecord: input.settings.recordName, shadowRecord: entry.drillRecordName } : null,
    execution: input.execution,
    startedAt: input.startTime,
    targetId: `${env(ENV.installation)}-failover-${req.database}-${suffix}`,
  };
}

export const handler = lifelineHandler(validateFailover);
