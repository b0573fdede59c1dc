import * as z from 'zod/mini';
import { ENV } from '../commons/contracts';
import { InvalidInput } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { isoTime, notAnObject, problemsOf } from '../commons/request-checks';
import { env, now } from '../commons/runtime';
import type { BackupPlan, BackupRequest, ValidateRequestInput } from './contracts';
import { retentionClassesFor, snapshotIdFor } from './snapshot-id';

const scheduledTime = z.optional(isoTime('expected an ISO-8601 time such as 2026-11-22T02:00:00Z'));
const backupRequest = z.strictObject(
  { database: z.string({ error: 'expected the id of a protected database' }), scheduledTime },
  { error: notAnObject },
);

/** What is wrong with an execution input, each problem as the person who wrote it needs to read it; none if it is a BackupRequest. */
export function requestProblems(request: unknown): string[] {
  return problemsOf(backupRequest, request);
}

/**
 * How far `scheduledTime` may be from the function's clock. Ahead: 10 minutes, for clock skew; EventBridge Scheduler
 * sends the time it fired for, never a later one. Behind: 3 days, which covers Scheduler's retries (an event is at
 * most 24 h old) and a failed night re-run by hand on the next working day. A time outside would name a snapshot
 * that is not what it says: a far-future point would stay the "newest" for ever, a year-0 one breaks pruning.
 */
export const SCHEDULED_TIME_WINDOW = { aheadMs: 10 * 60_000, behindMs: 3 * 86_400_000 } as const;

/** What is wrong with a well-formed `scheduledTime` for a run at `at`; none if it is within the window. */
export function scheduledTimeProblems(request: unknown, at: Date): string[] {
  const given = scheduledTime.safeParse((request as Partial<Record<string, unknown>> | null)?.scheduledTime).data;
  if (given === undefined) return [];
  const time = Date.parse(given);
  const clock = at.toISOString();
  if (time > at.getTime() + SCHEDULED_TIME_WINDOW.aheadMs)
    return [
      `scheduledTime: ${given} is more than 10 minutes after now (${clock}); give the time the run stands for, or leave scheduledTime out`,
    ];
  if (time < at.getTime() - SCHEDULED_TIME_WINDOW.behindMs)
    return [
      `scheduledTime: ${given} is more than 3 days before now (${clock}); a snapshot is named for the time it stands for, so leave scheduledTime out to back up now`,
    ];
  return [];
}

/** First state of every backup: a malformed request stops here, before anything is created. */
export async function validateRequest(input: ValidateRequestInput): Promise<BackupPlan> {
  const problems = [...requestProblems(input.request), ...scheduledTimeProblems(input.request, now())];
  if (problems.length > 0)
    throw new InvalidInput(`Backup request rejected, nothing was changed: ${problems.join('; ')}`);
  const request = input.request as BackupRequest;
  // Own properties only: "constructor" or "__proto__" must not find Object.prototype's members.
  const entry = Object.hasOwn(input.catalog, request.database) ? input.catalog[request.database] : undefined;
  if (!entry) {
    const known = Object.keys(input.catalog).sort().join(', ');
    throw new InvalidInput(
      `Backup request rejected, nothing was changed: database "${request.database}" is not protected by Lifeline (known: ${known})`,
    );
  }
  const scheduled = new Date(request.scheduledTime ?? input.startTime);
  return {
    database: entry.id,
    kind: entry.kind,
    identifier: entry.identifier,
    snapshotId: snapshotIdFor(env(ENV.installation), entry.id, scheduled),
    scheduledTime: scheduled.toISOString(),
    retentionClasses: retentionClassesFor(scheduled, entry.timeZone),
    retention: { ...entry.retention, timeZone: entry.timeZone },
    copyToDr: entry.copyToDr,
    copyToVault: entry.copyToVault,
    execution: input.execution,
    pruneTargets: [
      { region: env('AWS_REGION'), role: 'source' },
      ...(entry.copyToDr ? [{ region: env(ENV.drRegion), role: 'copy' as const }] : []),
    ],
  };
}

export const handler = lifelineHandler(validateRequest);
