import { createHash } from 'node:crypto';
import { drillPrefix, ENV } from '../commons/contracts';
import { InvalidInput } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { ISO_TIME, isRecord, notAnObject, shown, unknownFields } from '../commons/request-checks';
import { env } from '../commons/runtime';
import type { DrillCatalogEntry, DrillPlan, RecoveryPointChoice } from './contracts';

export interface ValidateDrillInput {
  readonly request: unknown;
  readonly catalog: Record<string, DrillCatalogEntry>;
  readonly execution: string;
  readonly startTime: string;
  /** The longest `overrides.timeoutMinutes` the workflow can wait for (its restore poll and execution timeout). @default 1440 */
  readonly maxTimeoutMinutes?: number;
}

/** What an operator may pass to start a drill by hand. */
export interface DrillRequest {
  readonly database: string;
  /** @default { type: 'latest' } */
  readonly recoveryPoint?: RecoveryPointChoice;
  readonly overrides?: { readonly instanceClass?: string; readonly timeoutMinutes?: number };
}

const INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;
const SNAPSHOT_ID = /^[A-Za-z][A-Za-z0-9-]{0,254}$/;
/** RDS keeps automated backups (what a point-in-time restore reads) for at most 35 days. */
const MAX_POINT_IN_TIME_AGE_MS = 35 * 86_400_000;
const POINT_SHAPES = '{"type":"latest"}, {"type":"snapshot","id":...} or {"type":"pointInTime","time":...}';

/** What is wrong with a drill request, each problem in words for the person who wrote it; none if it is a DrillRequest. */
export function drillRequestProblems(request: unknown, startTime: string, maxTimeoutMinutes = 1440): string[] {
  if (!isRecord(request)) return [notAnObject(request)];
  const problems = unknownFields(request, ['database', 'recoveryPoint', 'overrides']);
  if (typeof request.database !== 'string')
    problems.push(`database: expected the id of a database with a drill, got ${shown(request.database)}`);
  const point = request.recoveryPoint;
  if (point !== undefined) {
    if (!isRecord(point) || !['latest', 'snapshot', 'pointInTime'].includes(String(point.type))) {
      problems.push(`recoveryPoint: expected ${POINT_SHAPES}, got ${shown(point)}`);
    } else if (point.type === 'latest') {
      problems.push(...unknownFields(point, ['type'], 'recoveryPoint'));
    } else if (point.type === 'snapshot') {
      problems.push(...unknownFields(point, ['type', 'id'], 'recoveryPoint'));
      if (typeof point.id !== 'string' || !SNAPSHOT_ID.test(point.id))
        problems.push(`recoveryPoint.id: expected a snapshot identifier, got ${shown(point.id)}`);
    } else {
      problems.push(...unknownFields(point, ['type', 'time'], 'recoveryPoint'));
      if (typeof point.time !== 'string' || !ISO_TIME.test(point.time))
        problems.push(`recoveryPoint.time: expected an ISO-8601 time, got ${shown(point.time)}`);
      else if (Date.parse(point.time) > Date.parse(startTime))
        problems.push(`recoveryPoint.time: ${point.time} is in the future`);
      else if (Date.parse(point.time) < Date.parse(startTime) - MAX_POINT_IN_TIME_AGE_MS)
        problems.push(
          `recoveryPoint.time: ${point.time} is more than 35 days before the drill started (${startTime}); RDS keeps automated backups at most 35 days: choose a later time, or a snapshot`,
        );
    }
  }
  const overrides = request.overrides;
  if (overrides !== undefined) {
    if (!isRecord(overrides)) problems.push(notAnObject(overrides, 'overrides'));
    else {
      problems.push(...unknownFields(overrides, ['instanceClass', 'timeoutMinutes'], 'overrides'));
      const { instanceClass, timeoutMinutes } = overrides;
      if (instanceClass !== undefined && !(typeof instanceClass === 'string' && INSTANCE_CLASS.test(instanceClass))) {
        problems.push(
          `overrides.instanceClass: expected an RDS instance class such as db.t4g.micro, got ${shown(instanceClass)}`,
        );
      }
      if (
        timeoutMinutes !== undefined &&
        !(
          Number.isInteger(timeoutMinutes) &&
          (timeoutMinutes as number) >= 5 &&
          (timeoutMinutes as number) <= maxTimeoutMinutes
        )
      ) {
        problems.push(
          `overrides.timeoutMinutes: expected a whole number of minutes from 5 to ${maxTimeoutMinutes} (the longest this workflow waits for a restore), got ${shown(timeoutMinutes)}`,
        );
      }
    }
  }
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
    ...(request.overrides?.instanceClass === undefined
      ? {}
      : { instanceClassOverride: request.overrides.instanceClass, configuredInstanceClass: entry.instanceClass }),
  };
}

export const handler = lifelineHandler(validateDrill);
