import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { drillPrefix, ENV } from '../commons/contracts';
import { InvalidInput } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { isoTime, notAnObject, problemsOf } from '../commons/request-checks';
import { env } from '../commons/runtime';
import type { DrillPlan, DrillTrigger, RecoveryPointChoice, ValidateDrillInput } from './contracts';

/** What an operator may pass to start a drill by hand. */
export interface DrillRequest {
  readonly database: string;
  /** @default { type: 'latest' } */
  readonly recoveryPoint?: RecoveryPointChoice;
  readonly overrides?: { readonly instanceClass?: string; readonly timeoutMinutes?: number };
  /** Set by the drill's schedule (EventBridge Scheduler's context attributes): which schedule fired, and when. */
  readonly schedule?: { readonly arn: string; readonly scheduledTime: string };
  /** Who started a drill by hand, in their own words; the report repeats it as the request's claim. */
  readonly startedBy?: string;
}

const SCHEDULE_ARN = /^arn:aws[a-z-]*:scheduler:[a-z0-9-]+:\d{12}:schedule\/[^/\s]+\/[^/\s]+$/;
const INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;
const SNAPSHOT_ID = /^[A-Za-z][A-Za-z0-9-]{0,254}$/;
/** RDS keeps automated backups (what a point-in-time restore reads) for at most 35 days. */
const MAX_POINT_IN_TIME_AGE_MS = 35 * 86_400_000;
const POINT_SHAPES = '{"type":"latest"}, {"type":"snapshot","id":...} or {"type":"pointInTime","time":...}';

const POINT_TIME = 'expected an ISO-8601 time or "latest"';
const pointInTime = z.strictObject(
  { type: z.literal('pointInTime'), time: z.union([z.literal('latest'), isoTime(POINT_TIME)], { error: POINT_TIME }) },
  { error: notAnObject },
);
const recoveryPoint = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('latest') }),
    z.strictObject({
      type: z.literal('snapshot'),
      id: z
        .string({ error: 'expected a snapshot identifier' })
        .check(z.regex(SNAPSHOT_ID, { error: 'expected a snapshot identifier' })),
    }),
    pointInTime,
  ],
  { error: `expected ${POINT_SHAPES}` },
);
const instanceClass = z
  .string({ error: 'expected an RDS instance class such as db.t4g.micro' })
  .check(z.regex(INSTANCE_CLASS, { error: 'expected an RDS instance class such as db.t4g.micro' }));

/** The shape of a drill request; the longest timeout is the workflow's, so there is one schema per limit. */
const requestSchemas = new Map<number, z.ZodMiniType>();
function drillRequest(maxTimeoutMinutes: number): z.ZodMiniType {
  let schema = requestSchemas.get(maxTimeoutMinutes);
  if (!schema) {
    const minutes = `expected a whole number of minutes from 5 to ${maxTimeoutMinutes} (the longest this workflow waits for a restore)`;
    const timeoutMinutes = z
      .int({ error: minutes })
      .check(z.minimum(5, { error: minutes }), z.maximum(maxTimeoutMinutes, { error: minutes }));
    schema = z.strictObject(
      {
        database: z.string({ error: 'expected the id of a database with a drill' }),
        recoveryPoint: z.optional(recoveryPoint),
        schedule: z.optional(
          z.strictObject(
            {
              arn: z
                .string({ error: 'expected the ARN of an EventBridge Scheduler schedule' })
                .check(z.regex(SCHEDULE_ARN, { error: 'expected the ARN of an EventBridge Scheduler schedule' })),
              scheduledTime: isoTime('expected an ISO-8601 time'),
            },
            { error: notAnObject },
          ),
        ),
        startedBy: z.optional(
          z
            .string({ error: 'expected who started the drill, in at most 200 characters' })
            .check(
              z.minLength(1, { error: 'expected who started the drill, in at most 200 characters' }),
              z.maxLength(200, { error: 'expected who started the drill, in at most 200 characters' }),
            ),
        ),
        overrides: z.optional(
          z.strictObject(
            { instanceClass: z.optional(instanceClass), timeoutMinutes: z.optional(timeoutMinutes) },
            { error: notAnObject },
          ),
        ),
      },
      { error: notAnObject },
    );
    requestSchemas.set(maxTimeoutMinutes, schema);
  }
  return schema;
}

/** What is wrong with a drill request, each problem in words for the person who wrote it; none if it is a DrillRequest. */
export function drillRequestProblems(request: unknown, startTime: string, maxTimeoutMinutes = 1440): string[] {
  const problems = problemsOf(drillRequest(maxTimeoutMinutes), request);
  const given = request as Partial<Record<string, unknown>> | null;
  if (given?.schedule !== undefined && given?.startedBy !== undefined)
    problems.push('schedule and startedBy: a drill is started by its schedule or by hand, not both; leave one out');
  // A well-formed point in time must also be one RDS can restore to.
  const point = pointInTime.safeParse(given?.recoveryPoint).data;
  if (point === undefined || point.time === 'latest') return problems;
  const [time, start] = [Date.parse(point.time), Date.parse(startTime)];
  if (time > start) problems.push(`recoveryPoint.time: ${point.time} is in the future`);
  else if (time < start - MAX_POINT_IN_TIME_AGE_MS)
    problems.push(
      `recoveryPoint.time: ${point.time} is more than 35 days before the drill started (${startTime}); RDS keeps automated backups at most 35 days: choose a later time, or a snapshot`,
    );
  return problems;
}

/** First state of every drill: a malformed request stops here, before anything is restored. */
export async function validateDrill(input: ValidateDrillInput): Promise<DrillPlan> {
  const problems = drillRequestProblems(input.request, input.startTime, input.maxTimeoutMinutes);
  if (problems.length > 0)
    throw new InvalidInput(`Drill request rejected, nothing was restored: ${problems.join('; ')}`);
  const request = input.request as DrillRequest;
  // Own properties only: "constructor" or "__proto__" must not find Object.prototype's members.
  const entry = Object.hasOwn(input.catalog, request.database) ? input.catalog[request.database] : undefined;
  if (!entry) {
    const known = Object.keys(input.catalog).sort().join(', ') || 'none';
    throw new InvalidInput(
      `Drill request rejected, nothing was restored: database "${request.database}" has no drill configured (drills: ${known})`,
    );
  }
  const point = request.recoveryPoint;
  if (point?.type === 'pointInTime' && entry.pointInTimeSource === undefined)
    throw new InvalidInput(
      `Drill request rejected, nothing was restored: database "${request.database}" cannot be drilled to a point in time: its automated backups are not replicated to ${env('AWS_REGION')} (set continuous: { mode: 'automated-backup-replication' }); leave recoveryPoint out to drill the newest verified copy, or name a snapshot`,
    );
  const suffix = createHash('sha256').update(input.execution).digest('hex').slice(0, 8);
  return {
    ...entry,
    instanceClass: request.overrides?.instanceClass ?? entry.instanceClass,
    timeoutSeconds: request.overrides?.timeoutMinutes ? request.overrides.timeoutMinutes * 60 : entry.timeoutSeconds,
    database: request.database,
    recoveryPoint: request.recoveryPoint ?? { type: 'latest' },
    drillId: `${drillPrefix(env(ENV.installation))}${request.database}-${suffix}`,
    execution: input.execution,
    startedAt: input.startTime,
    trigger: triggerOf(request),
    ...(request.overrides?.instanceClass === undefined
      ? {}
      : { instanceClassOverride: request.overrides.instanceClass, configuredInstanceClass: entry.instanceClass }),
  };
}

/** What started the drill, as the request says; a request that names nobody was started by hand by someone unnamed. */
function triggerOf(request: DrillRequest): DrillTrigger {
  if (request.schedule)
    return { type: 'schedule', schedule: request.schedule.arn, scheduledTime: request.schedule.scheduledTime };
  return { type: 'manual', startedBy: request.startedBy ?? null };
}

export const handler = lifelineHandler(validateDrill);
