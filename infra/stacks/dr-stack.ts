import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { LifelineConfig } from '../config/schema';
import { lifelineKey } from './keys';

export interface DrStackProps extends StackProps {
  readonly config: LifelineConfig;
}

/**
 * The DR region: the copies of every recovery point, and the recovery control plane (drills, failover),
 * which must keep working while the primary region is down.
 */
export class DrStack extends Stack {
  readonly key: kms.Key;
  readonly alerts: sns.Topic;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.key = lifelineKey(this, config.name, 'dr');
    this.alerts = new sns.Topic(this, 'Alerts', {
      topicName: `${config.name}-dr-alerts`,
      displayName: 'Lifeline DR alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
  }
}
