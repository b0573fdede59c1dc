import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  BackupWorkflow,
  DrillWorkflow,
  drillNetwork,
  lifelineKey,
  type ProtectedDatabase,
  reportsBucket,
} from 'lifeline';

const objectives = { rpo: Duration.days(1), rto: Duration.hours(1) };
const retention = { daily: 7, weekly: 4, monthly: 12, yearly: 1 };
const databases: ProtectedDatabase[] = [
  { id: 'orders', identifier: 'orders-prod', engine: 'postgres', objectives, retention },
  { id: 'ledger', identifier: 'ledger-prod', kind: 'cluster', engine: 'aurora-postgresql', objectives, retention },
];

/** In the primary region: a snapshot of either database when an execution names it, copied to eu-central-1. */
export class ShopBackups extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const key = lifelineKey(this, 'alias/shop/primary', 'primary');
    const alerts = new sns.Topic(this, 'Alerts', { masterKey: key, enforceSSL: true });
    new BackupWorkflow(this, 'Backups', {
      databases,
      key,
      alerts,
      drRegion: 'eu-central-1',
      drKeyAlias: 'alias/shop/dr',
    });
  }
}

/** In eu-central-1: the DR key, and drills that restore the copies into isolated subnets and check them. */
export class ShopDrills extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const key = lifelineKey(this, 'alias/shop/dr', 'dr');
    const alerts = new sns.Topic(this, 'Alerts', { masterKey: key, enforceSSL: true });
    const credentials = secretsmanager.Secret.fromSecretNameV2(this, 'Login', 'shop/drill');
    new DrillWorkflow(this, 'Drills', {
      key,
      alerts,
      reports: reportsBucket(this, key),
      network: drillNetwork(this, { key, engines: ['postgres', 'aurora-postgresql'] }),
      drills: databases.map((database) => ({
        database,
        credentials,
        databaseName: 'shop',
        checks: [{ type: 'rowCount', table: 'orders', min: 1 }],
      })),
    });
  }
}
