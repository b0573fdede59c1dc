import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { PublishCommand } from '@aws-sdk/client-sns';
import { copySlot } from '../backup/copy-slot';
import { rds, sns } from '../commons/aws';
import { ENV, TAG } from '../commons/contracts';
import { ALERT_NOT_DELIVERED } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { tagMap } from '../commons/rds-snapshots';
import { env, optionalEnv } from '../commons/runtime';
import { deleteDrillResources, isDrillResource } from '../drill/drill-instances';
import { ALERT_ATTRIBUTE } from '../incidents/contracts';
import type { ExecutionEndedOutcome, ExecutionStatusChange } from './contracts';

/**
 * What an execution that ended badly leaves behind is put right here, because a timeout or a stop cannot be caught
 * inside the state machine: copy slots it held are given back, drill databases it restored are deleted (only those
 * tagged as its own drill), and people are told. A FAILED execution already went through its own failure path
 * (which alerts, or rejected a malformed request to the person who started it), so it is alerted only when
 * something of it was still left to put right, or when that path may not have alerted (see failurePathAlerted).
 * The alert goes to the same topic: if that fails too, this throws, EventBridge retries, and the event ends in the
 * rule's dead-letter queue.
 */
export async function executionEnded(event: ExecutionStatusChange): Promise<ExecutionEndedOutcome> {
  const { detail } = event;
  const workflow = env(ENV.workflow);
  const database = databaseOf(detail.input);
  const releasedSlots = await releaseSlots(detail.executionArn);
  const deletedDrillResources = workflow === 'drill' ? await deleteDrillDatabases(detail.executionArn) : [];
  const leftovers = releasedSlots.length + deletedDrillResources.length;
  const alerted = detail.status !== 'FAILED' || leftovers > 0 || !failurePathAlerted(detail);
  if (alerted) {
    const alert = describe({ workflow, database, detail, releasedSlots, deletedDrillResources });
    const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
    await sns().send(
      new PublishCommand({
        TopicArn: env(ENV.alertsTopicArn),
        Subject: alert.subject,
        Message: alert.message,
        // What the incident sink opens the incident from (kind and database are its deduplication key).
        MessageAttributes: {
          [ALERT_ATTRIBUTE.kind]: attribute(`${workflow}-failed`),
          ...(database ? { [ALERT_ATTRIBUTE.database]: attribute(database) } : {}),
          [ALERT_ATTRIBUTE.execution]: attribute(detail.executionArn),
        },
      }),
    );
  }
  logger.info('Handled an execution that ended', { execution: detail.executionArn, status: detail.status, alerted });
  return { alerted, releasedSlots, deletedDrillResources };
}

/**
 * Whether a FAILED execution's own failure path told people. Not when it ended AlertNotDelivered (the explainer or
 * the publish failed), nor on an error of Step Functions itself (States.Runtime, States.Timeout, ...) unless the
 * cause is the alert the failure path published: that path ends with it as the cause, naming the execution, and
 * only after the publish succeeded. Any other error ended the execution through that path.
 */
export function failurePathAlerted(detail: ExecutionStatusChange['detail']): boolean {
  if (detail.error === ALERT_NOT_DELIVERED) return false;
  if (detail.error?.startsWith('States.')) return (detail.cause ?? '').includes(`Execution: ${detail.executionArn}`);
  return true;
}

/** The database named in the execution input, if the input is there and names one. */
export function databaseOf(input: string | null | undefined): string | undefined {
  if (!input) return undefined;
  try {
    const parsed: unknown = JSON.parse(input);
    if (typeof parsed !== 'object' || parsed === null || !Object.hasOwn(parsed, 'database')) return undefined;
    const database = (parsed as { database: unknown }).database;
    return typeof database === 'string' && database.length > 0 && database.length <= 64 ? database : undefined;
  } catch {
    return undefined;
  }
}

/** Gives back the copy slot the execution holds in each region it copies to; a slot not held is left alone. */
async function releaseSlots(execution: string): Promise<string[]> {
  const regions = (optionalEnv(ENV.copySlotRegions) ?? '').split(',').filter(Boolean);
  const released: string[] = [];
  for (const region of regions) {
    if ((await copySlot({ action: 'release', holder: execution, region })).released) released.push(region);
  }
  return released;
}

/** Deletes the drill instances and clusters tagged as this execution's drill (named `<installation>-drill-*`, tagged). */
async function deleteDrillDatabases(execution: string): Promise<string[]> {
  const client = rds();
  const installation = env(ENV.installation);
  const ours = (id: string | undefined, tagList: Parameters<typeof tagMap>[0]) => {
    const tags = tagMap(tagList);
    return isDrillResource(id, tags, installation) && tags[TAG.execution] === execution;
  };
  const deleted = new Set<string>();
  let marker: string | undefined;
  do {
    const page = await client.send(new DescribeDBInstancesCommand({ Marker: marker }));
    for (const instance of page.DBInstances ?? []) {
      if (!ours(instance.DBInstanceIdentifier, instance.TagList)) continue;
      const cluster = instance.DBClusterIdentifier;
      const id = cluster ?? (instance.DBInstanceIdentifier as string);
      for (const gone of (await deleteDrillResources(client, id, cluster ? 'cluster' : 'instance', installation))
        .deleted)
        deleted.add(gone);
    }
    marker = page.Marker;
  } while (marker);
  // A cluster whose instance was never created has no instance to find it by.
  do {
    const page = await client.send(new DescribeDBClustersCommand({ Marker: marker }));
    for (const cluster of page.DBClusters ?? []) {
      const id = cluster.DBClusterIdentifier as string;
      if (deleted.has(id) || !ours(id, cluster.TagList)) continue;
      for (const gone of (await deleteDrillResources(client, id, 'cluster', installation)).deleted) deleted.add(gone);
    }
    marker = page.Marker;
  } while (marker);
  return [...deleted];
}

const HOW_IT_ENDED: Record<string, string> = {
  TIMED_OUT: 'ran out of time (the execution timeout) before any step could report it',
  ABORTED: 'was stopped (StopExecution) before it finished',
  FAILED: 'failed, and left things behind that its own failure path did not put right',
};

/** How a FAILED execution ended when its own failure path may not have alerted. */
function howItFailed(detail: ExecutionStatusChange['detail'], leftovers: boolean): string {
  const also = leftovers ? ', and left things behind' : '';
  if (detail.error === ALERT_NOT_DELIVERED)
    return `failed, and its own failure alert could not be delivered (${ALERT_NOT_DELIVERED})${also}`;
  if (!failurePathAlerted(detail))
    return `failed with an error of Step Functions itself (${detail.error}), so its own failure path may not have run or alerted${also}`;
  return HOW_IT_ENDED.FAILED as string;
}

function describe(input: {
  workflow: string;
  database: string | undefined;
  detail: ExecutionStatusChange['detail'];
  releasedSlots: string[];
  deletedDrillResources: string[];
}): { subject: string; message: string } {
  const { workflow, detail } = input;
  const database = input.database ?? 'an unknown database (the execution input did not say)';
  const leftovers = input.releasedSlots.length + input.deletedDrillResources.length > 0;
  const how =
    detail.status === 'FAILED'
      ? howItFailed(detail, leftovers)
      : (HOW_IT_ENDED[detail.status] ?? `ended with status ${detail.status}`);
  const done = [
    ...input.releasedSlots.map((region) => `gave back its copy slot for ${region}`),
    ...(input.deletedDrillResources.length > 0
      ? [`deleted its drill database(s) ${input.deletedDrillResources.join(', ')}`]
      : []),
  ];
  const first =
    detail.error === ALERT_NOT_DELIVERED
      ? `Fix the alerting first: the Error line says what failed (for a publish, check the alert topic and its KMS key policy). Then open the execution, see why the ${workflow} of ${database} failed, and start it again.`
      : detail.status === 'ABORTED'
        ? `Find out who stopped it and why (CloudTrail StopExecution); if it was not meant, start the ${workflow} of ${database} again.`
        : workflow === 'backup'
          ? `Open the execution and look at its last step: a snapshot or copy stuck in RDS, or copy slots that never free up (copySlots). Then start the backup of ${database} again; it reuses what exists.`
          : `Open the execution and look at its last step (a restore that never became available, or checks that hung). Then start the drill of ${database} again.`;
  const subject = `Lifeline ${workflow} of ${input.database ?? 'a database'} ${detail.status === 'TIMED_OUT' ? 'timed out' : detail.status === 'ABORTED' ? 'was stopped' : detail.error === ALERT_NOT_DELIVERED ? 'failed, and its alert was not delivered' : 'failed'}`;
  const message = [
    `The Lifeline ${workflow} of database "${database}" ${how}.`,
    `Execution: ${detail.executionArn}`,
    ...(detail.error ? [`Error: ${detail.error}${detail.cause ? `: ${detail.cause}` : ''}`] : []),
    `Cleaned up now: ${done.length > 0 ? done.join('; ') : 'nothing was left to clean up'}.`,
    `What to do first: ${first}`,
  ].join('\n');
  return { subject: subject.slice(0, 99), message };
}

export const handler = lifelineHandler(executionEnded);
