import {
  DescribeExportTasksCommand,
  type ExportTask,
  type RDSClient,
  StartExportTaskCommand,
} from '@aws-sdk/client-rds';

/** RDS's export tasks in one view. Thin: the calls and the shape they come back in. */
export interface ExportTaskView {
  readonly exportTaskId: string;
  readonly sourceArn: string;
  /** Upper case, whatever the API returns (it documents both cases). */
  readonly status: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly failureCause?: string;
  readonly warning?: string;
  readonly extractedGb?: number;
  readonly percent?: number;
  readonly snapshotTime?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
}

const NOT_FOUND = new Set(['ExportTaskNotFound', 'ExportTaskNotFoundFault']);

function view(task: ExportTask): ExportTaskView {
  return {
    exportTaskId: task.ExportTaskIdentifier ?? '',
    sourceArn: task.SourceArn ?? '',
    status: (task.Status ?? 'UNKNOWN').toUpperCase(),
    bucket: task.S3Bucket ?? '',
    prefix: task.S3Prefix ?? '',
    ...(task.FailureCause ? { failureCause: task.FailureCause } : {}),
    ...(task.WarningMessage ? { warning: task.WarningMessage } : {}),
    ...(task.TotalExtractedDataInGB !== undefined ? { extractedGb: task.TotalExtractedDataInGB } : {}),
    ...(task.PercentProgress !== undefined ? { percent: task.PercentProgress } : {}),
    ...(task.SnapshotTime ? { snapshotTime: task.SnapshotTime.toISOString() } : {}),
    ...(task.TaskStartTime ? { startedAt: task.TaskStartTime.toISOString() } : {}),
    ...(task.TaskEndTime ? { endedAt: task.TaskEndTime.toISOString() } : {}),
  };
}

export async function describeExportTask(client: RDSClient, id: string): Promise<ExportTaskView | undefined> {
  try {
    const out = await client.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: id }));
    const found = out.ExportTasks?.find((t) => t.ExportTaskIdentifier === id);
    return found && view(found);
  } catch (error) {
    if (NOT_FOUND.has((error as Error).name)) return undefined;
    throw error;
  }
}

/** Every export task of `sourceArn` (filtered here too: not every implementation filters by source). */
export async function exportTasksOf(client: RDSClient, sourceArn: string): Promise<ExportTaskView[]> {
  const all: ExportTaskView[] = [];
  let marker: string | undefined;
  do {
    const out = await client.send(new DescribeExportTasksCommand({ SourceArn: sourceArn, Marker: marker }));
    all.push(...(out.ExportTasks ?? []).map(view));
    marker = out.Marker;
  } while (marker);
  return all.filter((task) => task.sourceArn === sourceArn);
}

export async function startExportTask(
  client: RDSClient,
  input: { id: string; sourceArn: string; bucket: string; prefix: string; roleArn: string; keyArn: string },
): Promise<ExportTaskView> {
  const out = await client.send(
    new StartExportTaskCommand({
      ExportTaskIdentifier: input.id,
      SourceArn: input.sourceArn,
      S3BucketName: input.bucket,
      S3Prefix: input.prefix,
      IamRoleArn: input.roleArn,
      KmsKeyId: input.keyArn,
    }),
  );
  return view(out);
}
