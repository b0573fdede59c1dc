import { rds } from '../commons/aws';
import { NotReady } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import type { CheckExportInput, ExportResult } from './contracts';
import { describeExportTask } from './export-tasks';

/**
 * One look at an export: STARTING, IN_PROGRESS and CANCELING are not over (NotReady, which the state retries with
 * backoff); COMPLETE, FAILED and CANCELED are returned for the record. The workflow decides what a failure means.
 */
export async function checkExport(input: CheckExportInput): Promise<ExportResult> {
  const task = await describeExportTask(rds(), input.exportTaskId);
  if (!task) throw new Error(`Export task ${input.exportTaskId} is not known to RDS in this region`);
  if (task.status !== 'COMPLETE' && task.status !== 'FAILED' && task.status !== 'CANCELED')
    throw new NotReady(
      `Export ${input.exportTaskId} is ${task.status}${task.percent !== undefined ? ` (${task.percent} %)` : ''}`,
    );
  return {
    exportTaskId: task.exportTaskId,
    status: task.status,
    s3Uri: `s3://${task.bucket}/${task.prefix ? `${task.prefix}/` : ''}${task.exportTaskId}/`,
    ...(task.failureCause ? { failureCause: task.failureCause } : {}),
    ...(task.warning ? { warning: task.warning } : {}),
    ...(task.extractedGb !== undefined ? { extractedGb: task.extractedGb } : {}),
    ...(task.snapshotTime ? { snapshotTime: task.snapshotTime } : {}),
    ...(task.startedAt ? { startedAt: task.startedAt } : {}),
    ...(task.endedAt ? { endedAt: task.endedAt } : {}),
  };
}

export const handler = lifelineHandler(checkExport);
