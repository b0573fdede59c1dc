import { createHash } from 'node:crypto';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { DrillReport } from '../../functions/drill/contracts';
import { type DrillHistory, type HistoryRow, parseHistory } from '../../functions/drill/history';
import type { FailoverRecord } from '../../functions/failover/contracts';
import { failoverRecordKeys } from '../../functions/readiness/read-evidence';
import { DR_OUTPUT } from '../outputs';
import { attempt, call, client, explained } from './aws';
import { CliError, EXIT, explainAwsError, usageError } from './errors';
import { type Installation, required } from './installation';

/** The reports bucket, in the DR region. */
export const reportsBucketOf = (installation: Installation) =>
  required(installation, 'dr', DR_OUTPUT.reportsBucketName, 'the reports bucket');

/** An object's text and its SHA-256, or undefined when there is no such key. */
export async function readObject(
  region: string,
  bucket: string,
  key: string,
): Promise<{ text: string; sha256: string } | undefined> {
  const got = await attempt<GetObjectCommandOutput>('s3', region, new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!got.ok) {
    if (got.error.name === 'NoSuchKey' || got.error.name === 'NotFound') return undefined;
    throw explainAwsError(got.error, { service: 's3', action: 'GetObject', region });
  }
  const text = (await got.value.Body?.transformToString('utf8')) ?? '';
  return { text, sha256: createHash('sha256').update(text).digest('hex') };
}

/** A database's drill history (`history/<db>/index.json`), or undefined when no drill was recorded yet. */
export async function readHistory(installation: Installation, database: string): Promise<DrillHistory | undefined> {
  const found = await readObject(
    installation.drRegion,
    reportsBucketOf(installation),
    `history/${database}/index.json`,
  );
  return found && parseHistory(found.text, database);
}

/** An execution given by ARN, or by its name (then of the state machine `machineArn`). */
export function executionArnOf(given: string, machineArn: string): string {
  if (given.startsWith('arn:')) {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(given))
      throw usageError(
        `"${given}" is not the ARN of a Step Functions execution (arn:aws:states:<region>:<account>:execution:<state machine>:<name>).`,
      );
    return given;
  }
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(given))
    throw usageError(`"${given}" is neither an execution ARN nor an execution name (letters, digits, - and _).`);
  return `${machineArn.replace(':stateMachine:', ':execution:')}:${given}`;
}

export interface FoundReport {
  readonly row: HistoryRow;
  readonly report: DrillReport;
  readonly bucket: string;
  readonly sha256: string;
}

/** The drill record of an execution: its database from the execution's input, then its row in that history. */
export async function findDrillReport(
  installation: Installation,
  executionArn: string,
): Promise<FoundReport | undefined> {
  const described = await call<DescribeExecutionCommandOutput>(
    'states',
    installation.drRegion,
    new DescribeExecutionCommand({ executionArn }),
  );
  const database = (JSON.parse(described.input ?? '{}') as { database?: unknown }).database;
  if (typeof database !== 'string') return undefined;
  const row = (await readHistory(installation, database))?.drills.find((d) => d.execution === executionArn);
  if (!row) return undefined;
  const bucket = reportsBucketOf(installation);
  const found = await readObject(installation.drRegion, bucket, row.report.json);
  if (!found) return undefined;
  return { row, report: JSON.parse(found.text) as DrillReport, bucket, sha256: found.sha256 };
}

/**
 * The execution `report` means: an ARN as given; a name, of the drill workflow, or of the failover runbook when only
 * that one has an execution so named, or, once Step Functions has forgotten it (90 days after it closed), a failover
 * record is still under that name.
 */
export async function reportExecutionArn(installation: Installation, given: string): Promise<string> {
  const drill = required(installation, 'dr', DR_OUTPUT.drillStateMachineArn, 'the drill workflow');
  const failover = installation.dr?.[DR_OUTPUT.failoverStateMachineArn];
  if (given.startsWith('arn:') || !failover) return executionArnOf(given, drill);
  const candidates = [executionArnOf(given, drill), executionArnOf(given, failover)];
  for (const executionArn of candidates) if (await executionExists(installation, executionArn)) return executionArn;
  const failoverArn = candidates[1] as string;
  if (await findFailoverRecord(installation, failoverArn)) return failoverArn;
  throw new CliError(
    `No execution named ${given} of the drill workflow or the failover runbook of ${installation.name}, and no failover record so named: give its full ARN, or list them with  aws stepfunctions list-executions --state-machine-arn <arn>.`,
    EXIT.failed,
  );
}

/** Whether Step Functions knows the execution (it forgets closed ones after 90 days). */
async function executionExists(
  installation: Installation,
  executionArn: string,
): Promise<DescribeExecutionCommandOutput | undefined> {
  const found = await attempt<DescribeExecutionCommandOutput>(
    'states',
    installation.drRegion,
    new DescribeExecutionCommand({ executionArn }),
  );
  if (found.ok) return found.value;
  if (found.error.name === 'ExecutionDoesNotExist') return undefined;
  throw explainAwsError(found.error, { service: 'states', action: 'DescribeExecution', region: installation.drRegion });
}

/** Whether an execution is of the failover runbook (`<name>-failover`). */
export const isFailoverExecution = (installation: Installation, executionArn: string) =>
  executionArn.split(':')[6] === `${installation.name}-failover`;

export interface FoundFailoverRecord {
  readonly record: FailoverRecord;
  readonly bucket: string;
  /** The JSON record's key; the HTML is beside it. */
  readonly key: string;
  readonly sha256: string;
}

/**
 * The record of a failover execution (`failovers/<db>/[drills/]<date>/<execution name>.json`), once written: under
 * the database its input names, or, once Step Functions has forgotten the execution, under any failover database.
 */
export async function findFailoverRecord(
  installation: Installation,
  executionArn: string,
): Promise<FoundFailoverRecord | undefined> {
  const region = installation.drRegion;
  const described = await executionExists(installation, executionArn);
  const named = described ? (JSON.parse(described.input ?? '{}') as { database?: unknown }).database : undefined;
  const databases = described
    ? typeof named === 'string'
      ? [named]
      : []
    : installation.databases.filter((d) => d.failover).map((d) => d.id);
  const bucket = reportsBucketOf(installation);
  const name = executionArn.split(':').pop();
  for (const database of databases) {
    const keys = await explained(
      failoverRecordKeys(bucket, database, client('s3', region) as S3Client),
      's3',
      'ListObjectsV2',
      region,
    );
    const key = keys.find((k) => k.endsWith(`/${name}.json`));
    const found = key ? await readObject(region, bucket, key) : undefined;
    if (key && found) return { record: JSON.parse(found.text) as FailoverRecord, bucket, key, sha256: found.sha256 };
  }
  return undefined;
}
