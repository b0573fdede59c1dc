import { InvalidInput } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { ISO_TIME, isRecord, notAnObject, shown, unknownFields } from '../commons/request-checks';
import { env } from '../commons/runtime';
import type { BackupPlan, BackupRequest, CatalogEntry } from './contracts';
import { retentionClassesFor, snapshotIdFor } from './snapshot-id';

export interface ValidateRequestInput {
  /** The execution input exactly as given. */
  readonly request: unknown;
  /** Protected databases by id, embedded in the definition at synth. */
  readonly catalog: Record<string, CatalogEntry>;
  readonly execution: string;
  readonly startTime: string;
}

/** What is wrong with an execution input, each problem as the person who wrote it needs to read it; none if it is a BackupRequest. */
export function requestProblems(request: unknown): string[] {
  if (!isRecord(request)) return [notAnObject(request)];
  const { database, scheduledTime } = request;
  const problems: string[] = [];
  if (typeof database !== 'string')
    problems.push(`database: expected the id of a protected database, got ${shown(database)}`);
  if (scheduledTime !== undefined && !(typeof scheduledTime === 'string' && ISO_TIME.test(scheduledTime)))
    problems.push(`scheduledTime: expected an ISO-8601 time such as 2026-11-22T02:00:00Z, got ${shown(scheduledTime)}`);
  problems.push(...unknownFields(request, ['database', 'scheduledTime']));
  return problems;
}

/** First state of every backup: a malformed request stops here, before anything is created. */
export async function validateRequest(input: ValidateRequestInput): Promise<BackupPlan> {
  const problems = requestProblems(input.request);
  if (problems.length > 0)
    throw new InvalidInput(`Backup request rejected, nothing was changed: ${problems.join('; ')}`);
  const request = input.request as BackupRequest;
  const entry = input.catalog[request.database];
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
    snapshotId: snapshotIdFor(entry.id, scheduled),
    scheduledTime: scheduled.toISOString(),
    retentionClasses: retentionClassesFor(scheduled, entry.timeZone),
    retention: { ...entry.retention, timeZone: entry.timeZone },
    copyToDr: entry.copyToDr,
    copyToVault: entry.copyToVault,
    execution: input.execution,
    pruneTargets: [
      { region: env('AWS_REGION'), role: 'source' },
      ...(entry.copyToDr ? [{ region: env('DR_REGION'), role: 'copy' as const }] : []),
    ],
  };
}

export const handler = lifelineHandler(validateRequest);
