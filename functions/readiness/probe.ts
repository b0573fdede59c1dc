/**
 * The readiness probe: on a schedule, in the DR region, scores every database's recovery readiness from what is
 * measured (its DR copies, continuous RPO, drill history, failover records) and publishes each score as
 * `Lifeline/ReadinessScore` (dimension `database`), which the dashboard draws and an alarm holds to the floor.
 */
import { type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { cloudwatch, rds } from '../commons/aws';
import { ENV, METRICS_NAMESPACE } from '../commons/contracts';
import { ReadinessProbeFailed } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { type Kind, listManualSnapshots, type Snapshot } from '../commons/rds-snapshots';
import { env, now } from '../commons/runtime';
import {
  READINESS_ENV,
  READINESS_METRIC,
  type ReadinessProbeEnv,
  type ReadinessProbeOutput,
  type ReadinessScore,
} from './contracts';
import { readinessEvidenceOf } from './read-evidence';
import { readinessScore, withVaultNotChecked } from './score';

export async function probeReadiness(_event: unknown = {}): Promise<ReadinessProbeOutput> {
  const config = JSON.parse(env(READINESS_ENV)) as ReadinessProbeEnv;
  const reportsBucket = env(ENV.reportsBucket);
  const measuredAt = now();
  const listed = new Map<Kind, Promise<Snapshot[]>>();
  const copies = (kind: Kind) => {
    if (!listed.has(kind)) listed.set(kind, listManualSnapshots(rds(), kind));
    return listed.get(kind) as Promise<Snapshot[]>;
  };
  const scores: ReadinessScore[] = [];
  const failures: string[] = [];
  for (const db of config.databases) {
    try {
      const evidence = await readinessEvidenceOf(db, {
        installation: config.installation,
        reportsBucket,
        now: measuredAt,
        copies,
      });
      const score = readinessScore(evidence, measuredAt);
      scores.push(db.copyToVault ? withVaultNotChecked(score) : score);
    } catch (error) {
      // A score from half the evidence would be a guess: this database gets no data point.
      logger.error('Could not read the readiness evidence of the database: publishing no score', {
        database: db.id,
        error: error as Error,
      });
      failures.push(`${db.id}: ${(error as Error).name}: ${(error as Error).message}`);
    }
  }
  const data: MetricDatum[] = scores.map((s) => ({
    MetricName: READINESS_METRIC,
    Dimensions: [{ Name: 'database', Value: s.database }],
    Timestamp: measuredAt,
    Value: s.score,
    Unit: 'None',
  }));
  // PutMetricData takes at most 1000 data points a call.
  for (let i = 0; i < data.length; i += 1000)
    await cloudwatch().send(
      new PutMetricDataCommand({ Namespace: METRICS_NAMESPACE, MetricData: data.slice(i, i + 1000) }),
    );
  logger.info('Published the readiness scores', {
    scores: scores.map((s) => ({ database: s.database, score: s.score, belowFloor: s.belowFloor })),
  });
  if (failures.length > 0)
    throw new ReadinessProbeFailed(`Could not read the readiness evidence of ${failures.join('; ')}`);
  return { measuredAt: measuredAt.toISOString(), scores };
}

export const handler = lifelineHandler(probeReadiness);
