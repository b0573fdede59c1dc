/** Turns a failed step into an alert an on-call person can act on. No SDK here. */
import type { Alert, FailedStep } from '../alerts/contracts';

const WHAT_TO_DO: Record<string, string> = {
  InvalidInput: 'Fix the execution input (see the reason above) and start it again; nothing was changed.',
  SnapshotQuotaExceeded:
    'Delete manual snapshots that are no longer needed or raise the "Manual DB snapshots" quota in Service Quotas, then re-run the backup.',
  NotReady:
    'The resource did not become available in time. Check its status in the RDS console; re-run the execution once it is available, it will reuse what exists.',
  SnapshotFailed:
    'Check the snapshot in the RDS console and the RDS events of the database; re-run the backup to take a new one.',
  CopyNotVerified:
    "The copy (DR region or vault account) is not what it must be. Check the destination's KMS key and the copy's tags; the source snapshot is kept until a copy verifies.",
  KMSKeyNotAccessibleFault:
    'RDS cannot use the KMS key. Check the key is enabled and its policy lets RDS in that region use it; re-run the backup.',
  SnapshotQuotaExceededFault:
    "The region's snapshot quota is reached. Delete unneeded manual snapshots or raise the quota, then re-run.",
  NoCopySlot:
    'No copy slot became free in the allowed time: copies to the DR region are backed up. Check for stuck copies and the copy limit (copySlots).',
  'States.Timeout': 'A step took longer than allowed. Check the service health and re-run the execution.',
  ExportFailed:
    'RDS ended the export without completing it (the reason is above). Most often the export role cannot write to the archive bucket or use its KMS key, or the key is disabled or pending deletion: fix that, then remove the lifeline:export tag from the snapshot; the next export run tries again. The snapshot itself is unharmed.',
  IamRoleMissingPermissionsFault:
    "RDS says the export role lacks permissions. Check the role's policy still allows the bucket's exports/ prefix and the key, and that nothing denies it in the bucket policy; the next export run tries again.",
  IamRoleNotFoundFault:
    'The export role is missing or export.rds.amazonaws.com may not assume it. Redeploy the primary stack; the next export run tries again.',
  InvalidS3BucketFault:
    'RDS cannot use the archive bucket: it must exist in the same region as the snapshot. Check the bucket and redeploy; the next export run tries again.',
  InvalidExportSourceStateFault:
    'The snapshot was not available for export. Check it in the RDS console; the next export run tries again.',
  ExportTaskLimitReachedFault:
    'RDS runs only so many exports at once in an account: wait for the running ones (aws rds describe-export-tasks); the next export run tries again.',
};

/** Step Functions wraps a Lambda error as JSON in `Cause`; other integrations give plain text. */
export function causeText(cause: string | undefined): string {
  if (!cause) return 'no details';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}

export function explainFailure(failure: FailedStep): Alert {
  const name = failure.error.Error ?? 'Unknown';
  const shortName = name.includes('.') && !name.startsWith('States.') ? (name.split('.').pop() as string) : name;
  // Own properties only: an error named "constructor" or "toString" must not find Object.prototype's members.
  const advice =
    [name, shortName].map((n) => (Object.hasOwn(WHAT_TO_DO, n) ? WHAT_TO_DO[n] : undefined)).find(Boolean) ??
    'Read the error above and the execution history; re-run the execution once the cause is fixed.';
  const subject = `Lifeline ${failure.workflow} failed for ${failure.database}: ${failure.step}`.slice(0, 99);
  const message = [
    `Lifeline ${failure.workflow} of database "${failure.database}" failed.`,
    `Step: ${failure.step}`,
    `Error: ${name}: ${causeText(failure.error.Cause)}`,
    `What to do: ${advice}`,
    failure.execution ? `Execution: ${failure.execution}` : undefined,
  ]
    .filter(Boolean)
    .join('\n');
  return { subject, message };
}
