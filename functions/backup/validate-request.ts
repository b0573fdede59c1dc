import { z } from 'zod';
import { InvalidInput } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { env } from '../commons/runtime';
import type { BackupPlan, CatalogEntry } from './contracts';
import { retentionClassesFor, snapshotIdFor } from './snapshot-id';

export interface ValidateRequestInput {
  /** The execution input exactly as given. */
  readonly request: unknown;
  /** Protected databases by id, embedded in the definition at synth. */
  readonly catalog: Record<string, CatalogEntry>;
  readonly execution: string;
  readonly startTime: string;
}

const requestSchema = z.strictObject({
  database: z.string({ error: 'expected the id of a protected database' }),
  scheduledTime: z.iso
    .datetime({ offset: true, error: 'expected an ISO-8601 time such as 2026-11-22T02:00:00Z' })
    .optional(),
});

/** First state of every backup: a malformed request stops here, before anything is created. */
export async function validateRequest(input: ValidateRequestInput): Promise<BackupPlan> {
  const parsed = requestSchema.safeParse(input.request, { reportInput: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : `${issue.path.join('.') || 'input'}: ${issue.message}, got ${JSON.stringify((issue as { input?: unknown }).input ?? null)}`,
    );
    throw new InvalidInput(`Backup request rejected, nothing was changed: ${problems.join('; ')}`);
  }
  const entry = input.catalog[parsed.data.database];
  if (!entry) {
    const known = Object.keys(input.catalog).sort().join(', ');
    throw new InvalidInput(
      `Backup request rejected, nothing was changed: database "${parsed.data.database}" is not protected by Lifeline (known: ${known})`,
    );
  }
  const scheduled = new Date(parsed.data.scheduledTime ?? input.startTime);
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
