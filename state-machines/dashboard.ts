import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { BACKUP_SUCCESS_RATE_METRIC, COPY_AGE_METRIC } from '../functions/alerts/contracts';
import { METRICS_NAMESPACE } from '../functions/commons/contracts';
import { READINESS_METRIC } from '../functions/readiness/contracts';

/** One protected database, as the dashboard shows it. */
export interface DashboardDatabase {
  readonly id: string;
  readonly rpo: Duration;
  readonly rto: Duration;
  /** Whether it is drilled (the drill widgets show only then). @default false */
  readonly drilled?: boolean;
  /** The metric of its continuous RPO, when it has continuous protection. @default - no continuous-RPO widget */
  readonly continuousRpo?: cloudwatch.IMetric;
  /** The readiness floor drawn on its readiness graph (its alarm's threshold). @default - none drawn */
  readonly readinessFloor?: number;
}

/** One protected bucket and its replica, as the dashboard shows it. */
export interface DashboardBucket {
  readonly id: string;
  readonly sourceBucketName: string;
  readonly replicaBucketName: string;
  /** The replication rule's id (S3 reports replication metrics per rule). */
  readonly ruleId: string;
  /** Where the source bucket is: S3's replication metrics are reported there. */
  readonly sourceRegion: string;
  /** A metric of the last replication verification's discrepancies. @default - not shown */
  readonly verification?: cloudwatch.IMetric;
}

export interface RecoveryDashboardProps {
  /** @default - `<installation>-recovery` */
  readonly dashboardName?: string;
  /** The installation's name. @default 'lifeline' */
  readonly installation?: string;
  /** The region the backups run in: their metrics (success, durations, snapshot quota) are published there. */
  readonly primaryRegion: string;
  /** The region the drills and probes run in: their metrics are published there. */
  readonly drRegion: string;
  readonly databases: readonly DashboardDatabase[];
  readonly buckets?: readonly DashboardBucket[];
  /** The manual snapshot quota the backups count against (percent used is shown against 80 and 100). */
  readonly snapshotQuota?: number;
}

const HOUR = Duration.hours(1);

/**
 * One CloudWatch dashboard for the deployment, in the DR region (it must be readable when the primary region is
 * not): a row per database with its copy age against the RPO, its continuous RPO, the last drills' RTO and RPO
 * against the objectives, the 30-day backup success rate, copy durations, the snapshot quota and the readiness score;
 * a row per bucket with replication latency and verification. Each objective is drawn as a line on its graph.
 */
export class RecoveryDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  /** The widget titles, per database and bucket id, in the order they appear. */
  readonly widgetTitles: Readonly<Record<string, readonly string[]>>;

  constructor(scope: Construct, id: string, props: RecoveryDashboardProps) {
    super(scope, id);
    const installation = props.installation ?? 'lifeline';
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${installation}-recovery`,
      defaultInterval: Duration.days(7),
    });
    const titles: Record<string, string[]> = {};
    const lifeline = (metricName: string, database: string, region: string, statistic: string, service = false) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: service ? { service: 'lifeline', database } : { database },
        region,
        statistic,
        period: HOUR,
      });
    const line = (label: string, value: number) => ({ label, value, color: cloudwatch.Color.RED });

    for (const db of props.databases) {
      const widgets: cloudwatch.IWidget[] = [];
      const dbTitles: string[] = [];
      titles[db.id] = dbTitles;
      const add = (widget: cloudwatch.GraphWidget, title: string) => {
        widgets.push(widget);
        dbTitles.push(title);
      };
      const graph = (
        title: string,
        left: cloudwatch.IMetric[],
        annotations: cloudwatch.HorizontalAnnotation[] = [],
        unit?: string,
      ) =>
        add(
          new cloudwatch.GraphWidget({
            title,
            left,
            leftAnnotations: annotations,
            leftYAxis: { min: 0, ...(unit ? { label: unit, showUnits: false } : {}) },
            width: 8,
            height: 6,
          }),
          title,
        );
      graph(
        `${db.id}: newest verified DR copy age (s)`,
        [lifeline(COPY_AGE_METRIC, db.id, props.drRegion, cloudwatch.Stats.MAXIMUM)],
        [line('RPO', db.rpo.toSeconds())],
        'seconds',
      );
      if (db.continuousRpo)
        graph(`${db.id}: continuous RPO (s)`, [db.continuousRpo], [line('RPO', db.rpo.toSeconds())], 'seconds');
      if (db.drilled) {
        graph(
          `${db.id}: drill RTO and RPO (s)`,
          [
            lifeline('DrillRTO', db.id, props.drRegion, cloudwatch.Stats.MAXIMUM, true).with({ label: 'RTO' }),
            lifeline('DrillRPO', db.id, props.drRegion, cloudwatch.Stats.MAXIMUM, true).with({ label: 'RPO' }),
          ],
          [line('RTO objective', db.rto.toSeconds()), line('RPO objective', db.rpo.toSeconds())],
          'seconds',
        );
      }
      graph(
        `${db.id}: backup success rate, 30 days (%)`,
        [lifeline(BACKUP_SUCCESS_RATE_METRIC, db.id, props.drRegion, cloudwatch.Stats.MINIMUM)],
        [line('P1 below', 95), { label: 'P3 below', value: 97, color: cloudwatch.Color.ORANGE }],
        'percent',
      );
      graph(
        `${db.id}: snapshot and copy durations (s)`,
        [
          lifeline('SnapshotDuration', db.id, props.primaryRegion, cloudwatch.Stats.MAXIMUM, true).with({
            label: 'snapshot',
          }),
          lifeline('CopyDuration', db.id, props.primaryRegion, cloudwatch.Stats.MAXIMUM, true).with({
            label: 'copy to DR',
          }),
        ],
        [],
        'seconds',
      );
      graph(
        `${db.id}: manual snapshot quota used (%)`,
        [lifeline('SnapshotQuotaUsedPercent', db.id, props.primaryRegion, cloudwatch.Stats.MAXIMUM, true)],
        [{ label: 'warning', value: 80, color: cloudwatch.Color.ORANGE }, line('backups stop', 100)],
        'percent',
      );
      graph(
        `${db.id}: recovery readiness (0-100)`,
        [lifeline(READINESS_METRIC, db.id, props.drRegion, cloudwatch.Stats.MINIMUM)],
        db.readinessFloor === undefined ? [] : [line('floor', db.readinessFloor)],
        'score',
      );
      this.dashboard.addWidgets(
        new cloudwatch.TextWidget({ markdown: `## ${db.id}`, width: 24, height: 1 }),
        ...widgets,
      );
    }

    for (const bucket of props.buckets ?? []) {
      const s3Metric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/S3',
          metricName,
          dimensionsMap: {
            SourceBucket: bucket.sourceBucketName,
            DestinationBucket: bucket.replicaBucketName,
            RuleId: bucket.ruleId,
          },
          region: bucket.sourceRegion,
          statistic,
          period: Duration.minutes(5),
        });
      type Graph = [title: string, left: cloudwatch.IMetric[], annotations: cloudwatch.HorizontalAnnotation[]];
      const graphs: Graph[] = [
        [
          `${bucket.id}: replication latency (s)`,
          [s3Metric('ReplicationLatency', cloudwatch.Stats.MAXIMUM)],
          [line('RTC threshold', 900)],
        ],
        [
          `${bucket.id}: replication backlog and failures`,
          [
            s3Metric('OperationsPendingReplication', cloudwatch.Stats.MAXIMUM).with({ label: 'pending' }),
            s3Metric('OperationsFailedReplication', cloudwatch.Stats.SUM).with({ label: 'failed' }),
          ],
          [],
        ],
      ];
      if (bucket.verification)
        graphs.push([`${bucket.id}: replication verification discrepancies`, [bucket.verification], []]);
      const widgets = graphs.map(
        ([title, left, leftAnnotations]) =>
          new cloudwatch.GraphWidget({ title, left, leftAnnotations, leftYAxis: { min: 0 }, width: 8, height: 6 }),
      );
      titles[bucket.id] = graphs.map(([title]) => title);
      this.dashboard.addWidgets(
        new cloudwatch.TextWidget({ markdown: `## Bucket ${bucket.id}`, width: 24, height: 1 }),
        ...widgets,
      );
    }
    this.widgetTitles = titles;
  }
}
