import { type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { ExecutionListItem } from '@aws-sdk/client-sfn';
import { cloudwatch } from '../commons/aws';
import { DAY_MS } from '../commons/calendar';
import { ENV, ERROR, METRICS_NAMESPACE } from '../commons/contracts';
import { ObjectivesProbeFailed } from '../commons/errors';
import { described, eachLimited, executions } from '../commons/executions';
import { lifelineHandler, logger } from '../commons/handler';
import { env, now } from '../commons/runtime';
import { tellIncidentSink } from '../incidents/tell';
import {
  BACKUP_SUCCESS_RATE_METRIC,
  DRILL_PASS_AGE_METRIC,
  type ObjectivesProbeEnv,
  type ObjectivesProbeOutput,
} from './contracts';

const WINDOW_MS = 30 * DAY_MS;
const ENDED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * Per database, the share of its backups of the last 30 days that succeeded, from the backup workflow's executions
 * (a request rejected as malformed is no backup, and one still running has no outcome yet).
 */
async function backupRates(config: NonNullable<ObjectivesProbeEnv['backup']>, at: Date) {
  const counts = new Map(config.databases.map((db) => [db, { ended: 0, succeeded: 0 }]));
  const ended: ExecutionListItem[] = [];
  for await (const execution of executions(config.stateMachineArn)) {
    if ((execution.startDate?.getTime() ?? 0) < at.getTime() - WINDOW_MS) break;
    if (ENDED.has(execution.status ?? '')) ended.push(execution);
  }
  await eachLimited(ended, 8, async (execution) => {
    const { database, error } = await described(execution.executionArn as string);
    const count = database === undefined ? undefined : counts.get(database);
    if (!count || error === ERROR.invalidInput) return;
    count.ended++;
    if (execution.status === 'SUCCEEDED') count.succeeded++;
  });
  return [...counts].map(([database, c]) => ({
    database,
    ...c,
    ...(c.ended > 0 ? { ratePercent: Math.round((1000 * c.succeeded) / c.ended) / 10 } : {}),
  }));
}

/** Per drilled database, the newest drill that passed (a drill execution succeeds only when the drill passed). */
async function drillAges(
  config: NonNullable<ObjectivesProbeEnv['drill']>,
  at: Date,
): Promise<ObjectivesProbeOutput['drills']> {
  const last = new Map<string, Date>();
  for await (const execution of executions(config.stateMachineArn, 'SUCCEEDED')) {
    if (config.databases.every((db) => last.has(db))) break;
    const { database } = await described(execution.executionArn as string);
    if (database && config.databases.includes(database) && !last.has(database))
      last.set(database, execution.stopDate ?? (execution.startDate as Date));
  }
  // No pass on record (a new database, or its last pass older than the 90 days Step Functions keeps): no age is
  // published, and the overdue alarm keeps its state rather than guess; a drill that runs and fails pages anyway.
  return config.databases.flatMap((database) => {
    const passed = last.get(database);
    return passed
      ? [
          {
            database,
            lastPassedAt: passed.toISOString(),
            ageSeconds: Math.max(0, Math.round((at.getTime() - passed.getTime()) / 1000)),
          },
        ]
      : [];
  });
}

/**
 * Publishes what CloudWatch alarms cannot compute over their seven-day window: each database's backup success rate
 * over 30 days, and how long ago its last drill passed. Read from Step Functions' records of the executions, so a
 * broken Lifeline function cannot make them look better.
 */
export async function probeObjectives(_event: unknown = {}): Promise<ObjectivesProbeOutput> {
  const config = JSON.parse(env(ENV.objectives)) as ObjectivesProbeEnv;
  const measuredAt = now();
  const failures: string[] = [];
  const attempt = async <T>(what: string, work: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await work();
    } catch (error) {
      logger.error(`Could not read the ${what}`, { error: error as Error });
      failures.push(`${what}: ${(error as Error).name}: ${(error as Error).message}`);
      return [];
    }
  };
  const { backup, drill } = config;
  const backups = backup ? await attempt('backup executions', () => backupRates(backup, measuredAt)) : [];
  const drills = drill ? await attempt('drill executions', () => drillAges(drill, measuredAt)) : [];
  const datum = (name: string, database: string, value: number, unit: 'Percent' | 'Seconds'): MetricDatum => ({
    MetricName: name,
    Dimensions: [{ Name: 'database', Value: database }],
    Timestamp: measuredAt,
    Value: value,
    Unit: unit,
  });
  const data = [
    ...backups.flatMap((b) =>
      b.ratePercent === undefined ? [] : [datum(BACKUP_SUCCESS_RATE_METRIC, b.database, b.ratePercent, 'Percent')],
    ),
    ...drills.map((d) => datum(DRILL_PASS_AGE_METRIC, d.database, d.ageSeconds, 'Seconds')),
  ];
  for (let i = 0; i < data.length; i += 1000)
    await cloudwatch().send(
      new PutMetricDataCommand({ Namespace: METRICS_NAMESPACE, MetricData: data.slice(i, i + 1000) }),
    );
  logger.info('Published the backup success rates and drill ages', { backups, drills });
  // The drill-passed rule is best effort (EventBridge): the passes on record close drill incidents opened before them.
  if (drills.length > 0)
    await tellIncidentSink(
      { drillsPassed: drills.map((d) => ({ database: d.database, passedAt: d.lastPassedAt })) },
      'drill incidents stay open until a drill passes again',
    );
  if (failures.length > 0)
    throw new ObjectivesProbeFailed(`The objectives probe could not read ${failures.join('; ')}`);
  return { measuredAt: measuredAt.toISOString(), backups, drills };
}

export const handler = lifelineHandler(probeObjectives);
