import {
  AddTagsToResourceCommand,
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  type DBClusterSnapshot,
  type DBSnapshot,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';

/**
 * One view of RDS instance snapshots and Aurora cluster snapshots, so the workflow's steps are written
 * once. Thin: no decisions here, only the calls and the shape they come back in.
 */
export type Kind = 'instance' | 'cluster';

export interface Snapshot {
  readonly id: string;
  readonly arn: string;
  readonly status: string;
  readonly createdAt?: string;
  /** When the data was taken: the source snapshot's creation (RDS keeps it through copies; instance snapshots only). */
  readonly originalCreatedAt?: string;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  /** The engine version of the data it holds, when RDS says. */
  readonly engineVersion?: string;
  readonly source: string;
  readonly snapshotType: string;
  readonly tags: Record<string, string>;
}

const NOT_FOUND = new Set(['DBSnapshotNotFound', 'DBSnapshotNotFoundFault', 'DBClusterSnapshotNotFoundFault']);

function fromInstance(s: DBSnapshot): Snapshot {
  return {
    id: s.DBSnapshotIdentifier ?? '',
    arn: s.DBSnapshotArn ?? '',
    status: s.Status ?? 'unknown',
    createdAt: s.SnapshotCreateTime?.toISOString(),
    originalCreatedAt: s.OriginalSnapshotCreateTime?.toISOString(),
    encrypted: s.Encrypted ?? false,
    kmsKeyId: s.KmsKeyId,
    source: s.DBInstanceIdentifier ?? '',
    snapshotType: s.SnapshotType ?? '',
    tags: tagMap(s.TagList),
    ...(s.EngineVersion ? { engineVersion: s.EngineVersion } : {}),
  };
}

function fromCluster(s: DBClusterSnapshot): Snapshot {
  return {
    id: s.DBClusterSnapshotIdentifier ?? '',
    arn: s.DBClusterSnapshotArn ?? '',
    status: s.Status ?? 'unknown',
    createdAt: s.SnapshotCreateTime?.toISOString(),
    encrypted: s.StorageEncrypted ?? false,
    kmsKeyId: s.KmsKeyId,
    source: s.DBClusterIdentifier ?? '',
    snapshotType: s.SnapshotType ?? '',
    tags: tagMap(s.TagList),
    ...(s.EngineVersion ? { engineVersion: s.EngineVersion } : {}),
  };
}

export function tagMap(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

export function tagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export async function describeSnapshot(client: RDSClient, kind: Kind, id: string): Promise<Snapshot | undefined> {
  try {
    if (kind === 'cluster') {
      const out = await client.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id }));
      const found = out.DBClusterSnapshots?.[0];
      return found && fromCluster(found);
    }
    const out = await client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }));
    const found = out.DBSnapshots?.[0];
    return found && fromInstance(found);
  } catch (error) {
    if (NOT_FOUND.has((error as Error).name)) return undefined;
    throw error;
  }
}

/** Manual snapshots in the client's region, optionally only those of one database. */
export async function listManualSnapshots(client: RDSClient, kind: Kind, source?: string): Promise<Snapshot[]> {
  const all: Snapshot[] = [];
  let marker: string | undefined;
  do {
    if (kind === 'cluster') {
      const out = await client.send(
        new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual', DBClusterIdentifier: source, Marker: marker }),
      );
      all.push(...(out.DBClusterSnapshots ?? []).map(fromCluster));
      marker = out.Marker;
    } else {
      const out = await client.send(
        new DescribeDBSnapshotsCommand({ SnapshotType: 'manual', DBInstanceIdentifier: source, Marker: marker }),
      );
      all.push(...(out.DBSnapshots ?? []).map(fromInstance));
      marker = out.Marker;
    }
  } while (marker);
  return all.filter((s) => s.snapshotType === 'manual' || s.snapshotType === '');
}

export async function createSnapshot(
  client: RDSClient,
  kind: Kind,
  source: string,
  id: string,
  tags: Record<string, string>,
) {
  if (kind === 'cluster') {
    const out = await client.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: source,
        DBClusterSnapshotIdentifier: id,
        Tags: tagList(tags),
      }),
    );
    return fromCluster(out.DBClusterSnapshot ?? {});
  }
  const out = await client.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: source, DBSnapshotIdentifier: id, Tags: tagList(tags) }),
  );
  return fromInstance(out.DBSnapshot ?? {});
}

/** Called in the destination region with the source ARN; `kmsKeyId` is a key of the destination region. */
export async function copySnapshot(
  client: RDSClient,
  kind: Kind,
  input: { sourceArn: string; targetId: string; kmsKeyId: string; tags: Record<string, string> },
) {
  if (kind === 'cluster') {
    const out = await client.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: input.sourceArn,
        TargetDBClusterSnapshotIdentifier: input.targetId,
        KmsKeyId: input.kmsKeyId,
        CopyTags: true,
        Tags: tagList(input.tags),
      }),
    );
    return fromCluster(out.DBClusterSnapshot ?? {});
  }
  const out = await client.send(
    new CopyDBSnapshotCommand({
      SourceDBSnapshotIdentifier: input.sourceArn,
      TargetDBSnapshotIdentifier: input.targetId,
      KmsKeyId: input.kmsKeyId,
      CopyTags: true,
      Tags: tagList(input.tags),
    }),
  );
  return fromInstance(out.DBSnapshot ?? {});
}

export async function addTags(client: RDSClient, arn: string, tags: Record<string, string>): Promise<void> {
  await client.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: tagList(tags) }));
}

/** Lets `accounts` copy or restore the manual snapshot `id` (a no-op for accounts it is already shared with). */
export async function shareSnapshot(client: RDSClient, kind: Kind, id: string, accounts: string[]): Promise<void> {
  if (kind === 'cluster')
    await client.send(
      new ModifyDBClusterSnapshotAttributeCommand({
        DBClusterSnapshotIdentifier: id,
        AttributeName: 'restore',
        ValuesToAdd: accounts,
      }),
    );
  else
    await client.send(
      new ModifyDBSnapshotAttributeCommand({
        DBSnapshotIdentifier: id,
        AttributeName: 'restore',
        ValuesToAdd: accounts,
      }),
    );
}

export async function deleteSnapshot(client: RDSClient, kind: Kind, id: string): Promise<void> {
  if (kind === 'cluster') await client.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: id }));
  else await client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }));
}
