import { rds } from '../commons/aws';
import { lifelineHandler, logger } from '../commons/handler';
import { addTags } from '../commons/rds-snapshots';
import { env } from '../commons/runtime';
import { EXPORT_ENV, EXPORT_STATE, EXPORT_TAG, type ExportTarget } from './contracts';
import { describeExportTask, startExportTask } from './export-tasks';

/**
 * Starts the export of one point (Parquet, under the archive key, written by the export role) and tags the point
 * `lifeline:export=started`, so no later run starts it again. An adopted export (`start: false`) is only tagged. A
 * start repeated after RDS accepted it (the id is derived) finds the task and goes on with it.
 */
export async function startExport(target: ExportTarget): Promise<{ exportTaskId: string; started: boolean }> {
  const client = rds();
  let started = false;
  if (target.start) {
    try {
      await startExportTask(client, {
        id: target.exportTaskId,
        sourceArn: target.snapshotArn,
        bucket: target.bucket,
        prefix: target.prefix,
        roleArn: env(EXPORT_ENV.roleArn),
        keyArn: env(EXPORT_ENV.keyArn),
      });
      started = true;
      logger.info('Export started', { exportTaskId: target.exportTaskId, snapshotId: target.snapshotId });
    } catch (error) {
      const name = (error as Error).name;
      const existing =
        name === 'ExportTaskAlreadyExistsFault' || name === 'ExportTaskAlreadyExists'
          ? await describeExportTask(client, target.exportTaskId)
          : undefined;
      if (existing?.sourceArn !== target.snapshotArn) throw error;
      logger.info('Export already started; going on with it', { exportTaskId: target.exportTaskId });
    }
  }
  await addTags(client, target.snapshotArn, { [EXPORT_TAG]: EXPORT_STATE.started });
  return { exportTaskId: target.exportTaskId, started };
}

export const handler = lifelineHandler(startExport);
