import { rds } from '../commons/aws';
import { NotReady, SnapshotFailed } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { describeSnapshot } from '../commons/rds-snapshots';
import { env } from '../commons/runtime';
import type { CheckSnapshotInput, SnapshotState } from './contracts';

const IN_PROGRESS = new Set(['creating', 'copying', 'modifying', 'pending', 'upgrading']);

/** Succeeds once the snapshot is available; throws NotReady while it is on its way, so the state retries. */
export async function checkSnapshot(input: CheckSnapshotInput): Promise<SnapshotState> {
  const region = input.region ?? env('AWS_REGION');
  const snapshot = await describeSnapshot(rds(region), input.kind, input.snapshotId);
  if (!snapshot) throw new SnapshotFailed(`Snapshot ${input.snapshotId} does not exist in ${region}`);
  if (IN_PROGRESS.has(snapshot.status))
    throw new NotReady(`Snapshot ${input.snapshotId} in ${region} is ${snapshot.status}`);
  if (snapshot.status !== 'available') {
    throw new SnapshotFailed(
      `Snapshot ${input.snapshotId} in ${region} is ${snapshot.status} and will not become available`,
    );
  }
  return {
    snapshotId: snapshot.id,
    arn: snapshot.arn,
    region,
    status: snapshot.status,
    createdAt: snapshot.createdAt ?? '',
    encrypted: snapshot.encrypted,
    kmsKeyId: snapshot.kmsKeyId,
  };
}

export const handler = lifelineHandler(checkSnapshot);
