import { type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { cloudwatch, rds } from '../commons/aws';
import { ENV, METRICS_NAMESPACE } from '../commons/contracts';
import { CopyAgeProbeFailed } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { type Kind, listManualSnapshots, type Snapshot } from '../commons/rds-snapshots';
import { env, now } from '../commons/runtime';
import type { CopySeen } from '../incidents/contracts';
import { tellIncidentSink } from '../incidents/tell';
import {
  COPY_AGE_METRIC,
  type CopyAgeOfDatabase,
  type CopyAgeProbeInput,
  type CopyAgeProbeOutput,
  type ProbedDatabase,
} from './contracts';
import { ageSeconds, newestVerifiedCopy } from './newest-verified-copy';

const databasesOf = (): ProbedDatabase[] => JSON.parse(env(ENV.probedDatabases)) as ProbedDatabase[];

/**
 * Publishes, for every database copied to the DR region, the age of the data in its newest verified DR copy, read
 * from RDS in this (the DR) region, whatever the backups did or did not do. A database without one publishes no
 * data point, so its alarm (missing data is breaching) fires: logged here, not published as a number.
 */
export async function probeCopyAge(_event: CopyAgeProbeInput = {}): Promise<CopyAgeProbeOutput> {
  const installation = env(ENV.installation);
  const measuredAt = now();
  const client = rds();
  const listed = new Map<Kind, Promise<Snapshot[]>>();
  const list = (kind: Kind) => {
    if (!listed.has(kind)) listed.set(kind, listManualSnapshots(client, kind));
    return listed.get(kind) as Promise<Snapshot[]>;
  };
  const databases: CopyAgeOfDatabase[] = [];
  const copies: CopySeen[] = [];
  const failures: string[] = [];
  for (const db of databasesOf()) {
    try {
      const newest = newestVerifiedCopy(await list(db.kind), { database: db.id, installation });
      if (!newest) {
        logger.error('No verified DR copy of the database: publishing no copy age, so its alarm fires', {
          database: db.id,
        });
        databases.push({ database: db.id });
        continue;
      }
      databases.push({ database: db.id, snapshotId: newest.id, ageSeconds: ageSeconds(newest.takenAt, measuredAt) });
      copies.push({ database: db.id, takenAt: newest.takenAt });
    } catch (error) {
      logger.error('Could not list the DR copies of the database: publishing no copy age', {
        database: db.id,
        error: error as Error,
      });
      failures.push(`${db.id}: ${(error as Error).name}: ${(error as Error).message}`);
    }
  }
  const data: MetricDatum[] = databases.flatMap((d) =>
    d.ageSeconds === undefined
      ? []
      : [
          {
            MetricName: COPY_AGE_METRIC,
            Dimensions: [{ Name: 'database', Value: d.database }],
            Timestamp: measuredAt,
            Value: d.ageSeconds,
            Unit: 'Seconds',
          },
        ],
  );
  // PutMetricData takes at most 1000 data points a call.
  for (let i = 0; i < data.length; i += 1000)
    await cloudwatch().send(
      new PutMetricDataCommand({ Namespace: METRICS_NAMESPACE, MetricData: data.slice(i, i + 1000) }),
    );
  logger.info('Published the age of the newest verified DR copies', { databases });
  // A backup incident opened before the newest verified copy was taken resolves: the next good backup.
  if (copies.length > 0) await tellIncidentSink({ copies }, 'backup incidents stay open until it can');
  if (failures.length > 0) throw new CopyAgeProbeFailed(`Could not look at the DR copies of ${failures.join('; ')}`);
  return { measuredAt: measuredAt.toISOString(), databases };
}

export const handler = lifelineHandler(probeCopyAge);
