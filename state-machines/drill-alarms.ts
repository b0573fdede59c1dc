import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { DrillSpec } from './databases';

export interface DrillAlarmsProps {
  /** The drills whose reports are watched. */
  readonly drills: readonly DrillSpec[];
  /** Prefix of the alarm names: `<prefix><database>-drill-<failed|rto-missed|rpo-missed>`. */
  readonly alarmPrefix: string;
  /** Where the alarms go. */
  readonly action: sns.ITopic;
}

/**
 * Per drilled database, alarms on what the drill report publishes (namespace Lifeline, as Powertools writes it:
 * dimensions `service` and `database`): a drill that did not pass, and a measured RTO or RPO past its objective. No
 * drill, no data: nothing to alarm on, so missing data is not breaching (an overdue drill is not caught here).
 */
export class DrillAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly alarmNames: string[] = [];

  constructor(scope: Construct, id: string, props: DrillAlarmsProps) {
    super(scope, id);
    for (const { database: db } of props.drills) {
      const metric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'Lifeline',
          metricName,
          dimensionsMap: { service: 'lifeline', database: db.id },
          statistic,
          period: Duration.hours(1),
        });
      const alarm = (
        name: string,
        description: string,
        m: cloudwatch.Metric,
        threshold: number,
        comparisonOperator: cloudwatch.ComparisonOperator,
      ) => {
        const alarmName = `${props.alarmPrefix}${db.id}-drill-${name}`;
        this.alarmNames.push(alarmName);
        const created = new cloudwatch.Alarm(this, `${db.id}-${name}`, {
          alarmName,
          alarmDescription: description,
          metric: m,
          threshold,
          evaluationPeriods: 1,
          comparisonOperator,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        created.addAlarmAction(new actions.SnsAction(props.action));
        this.alarms.push(created);
      };
      alarm(
        'failed',
        `The restore drill of ${db.id} did not pass: its recovery point could not be shown restorable within its objectives. First: read the drill report (the summary names it) for the failed step or check; the DR copies may be unusable, so verify the newest one by hand.`,
        metric('DrillPassed', cloudwatch.Stats.MINIMUM),
        1,
        cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      );
      alarm(
        'rto-missed',
        `The restore drill of ${db.id} took longer than its RTO of ${db.objectives.rto.toHumanString()} to serve its first query. First: read the drill report's timeline; a larger drill instance class or a smaller database restores faster, or the objective must be raised with the business.`,
        metric('DrillRTO', cloudwatch.Stats.MAXIMUM),
        db.objectives.rto.toSeconds(),
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
      alarm(
        'rpo-missed',
        `The restore drill of ${db.id} found its newest data older than its RPO of ${db.objectives.rpo.toHumanString()} before the recovery point. First: check that writes reach the checked table and that backups run as often as the RPO needs.`,
        metric('DrillRPO', cloudwatch.Stats.MAXIMUM),
        db.objectives.rpo.toSeconds(),
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
    }
  }
}
