import { Arn, ArnFormat, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ENV, EVIDENCE, MANAGED_BY, snapshotPrefix, TAG } from '../../functions/commons/contracts';
import type { VaultDatabase } from '../../functions/vault/contracts';
import { IncidentSink } from '../../state-machines/incidents';
import { lifelineKey } from '../../state-machines/keys';
import { LifelineFunction } from '../../state-machines/lifeline-function';
import { allowAlarmsToPublish } from '../../state-machines/workflow-alarms';
import type { LifelineConfig } from '../config/schema';
import { namesOf } from '../names';
import { addVaultOutputs } from './outputs';

export interface VaultStackProps extends StackProps {
  readonly config: LifelineConfig;
  /** The account whose snapshots are copied into the vault. */
  readonly sourceAccount: string;
}

/** The vault account: a third copy of each recovery point, encrypted with a key the production account cannot delete. */
export class VaultStack extends Stack {
  readonly copier: iam.Role;
  /** Lists the vault copies and shares one with production for a ransomware failover; only with `failover`. */
  readonly reader?: iam.Role;
  /** Prunes the vault copies by `vault.retention`, daily, with a role only Lambda may assume. */
  readonly pruner: LifelineFunction;
  /** The vault account's own alerts (a failed prune); production's topics are out of its reach. */
  readonly alerts: sns.Topic;

  constructor(scope: Construct, id: string, props: VaultStackProps) {
    super(scope, id, props);
    const { config, sourceAccount } = props;
    // The vault key is used only inside the vault account, by the copier role (through RDS grants); the production
    // account gets nothing on it.
    const names = namesOf(config);
    const key = lifelineKey(this, names.keyAlias('vault'), 'vault');

    // The copies are made here, by this role: only the production function's own role may assume it.
    this.copier = new iam.Role(this, 'Copier', {
      roleName: names.vaultCopierRole,
      description: 'Copies the Lifeline DR copies the production account shares into the vault; never deletes',
      assumedBy: new iam.AccountPrincipal(sourceAccount).withConditions({
        ArnEquals: {
          'aws:PrincipalArn': `arn:${this.partition}:iam::${sourceAccount}:role/${names.vaultCopySourceRole}`,
        },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    const rdsArn = (resource: string, name: string, account = this.account) =>
      Arn.format(
        {
          service: 'rds',
          resource,
          resourceName: name,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          region: config.drRegion,
          account,
        },
        this,
      );
    const own = `${snapshotPrefix(config.name)}*`;
    const copies = [rdsArn('snapshot', own), rdsArn('cluster-snapshot', own)];
    // The copy crosses accounts within the DR region: its source is the DR copy shared by the production account.
    const shared = [rdsArn('snapshot', own, sourceAccount), rdsArn('cluster-snapshot', own, sourceAccount)];
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot'],
        resources: [...copies, ...shared],
      }),
    );
    // Tagging, twice narrowed, for production can act as this role: tags given on the copy (RDS authorizes them as
    // AddTagsToResource on the new copy, which has no tags yet) are Lifeline's keys only and name Lifeline and this
    // installation; an existing copy of this installation may only be marked verified. No other tag of a copy (its
    // database, its scheduled time) can be rewritten, so the vault's pruner cannot be misled into deleting it.
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:AddTagsToResource'],
        resources: copies,
        conditions: {
          'ForAllValues:StringLike': { 'aws:TagKeys': 'lifeline:*' },
          StringEquals: {
            [`aws:RequestTag/${TAG.managedBy}`]: MANAGED_BY,
            [`aws:RequestTag/${TAG.installation}`]: config.name,
          },
          Null: {
            'aws:TagKeys': 'false',
            [`rds:snapshot-tag/${TAG.managedBy}`]: 'true',
            [`rds:cluster-snapshot-tag/${TAG.managedBy}`]: 'true',
          },
        },
      }),
    );
    const verifiedOnly = {
      'ForAllValues:StringEquals': { 'aws:TagKeys': TAG.verified },
      Null: { 'aws:TagKeys': 'false' },
    };
    for (const [type, resource] of [
      ['snapshot', copies[0]],
      ['cluster-snapshot', copies[1]],
    ] as const)
      this.copier.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['rds:AddTagsToResource'],
          resources: [resource as string],
          conditions: {
            ...verifiedOnly,
            StringEquals: {
              [`aws:RequestTag/${TAG.verified}`]: EVIDENCE.copyVerified,
              [`rds:${type}-tag/${TAG.managedBy}`]: MANAGED_BY,
              [`rds:${type}-tag/${TAG.installation}`]: config.name,
            },
          },
        }),
      );
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'],
        resources: [rdsArn('snapshot', '*'), rdsArn('cluster-snapshot', '*')],
      }),
    );
    const viaRds = { 'kms:ViaService': `rds.${config.drRegion}.${this.urlSuffix}` };
    // RDS encrypts the copy with the vault key, and reads the shared DR copy with the DR key, through grants.
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:DescribeKey'], resources: [key.keyArn] }),
    );
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': true }, StringEquals: viaRds },
      }),
    );
    const drKeys = Arn.format(
      { service: 'kms', region: config.drRegion, account: sourceAccount, resource: 'key', resourceName: '*' },
      this,
    );
    const drAlias = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': names.keyAlias('dr') } };
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [drKeys],
        conditions: { ...drAlias, StringEquals: viaRds },
      }),
    );
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [drKeys],
        conditions: { ...drAlias, Bool: { 'kms:GrantIsForAWSResource': true }, StringEquals: viaRds },
      }),
    );

    if (config.failover)
      this.reader = this.failoverReader(config, sourceAccount, key, {
        copies,
        all: [rdsArn('snapshot', '*'), rdsArn('cluster-snapshot', '*')],
        viaRds,
      });

    // The vault's own alerts: a failed prune is published here, by the pruner and by an alarm on its errors.
    this.alerts = new sns.Topic(this, 'Alerts', {
      topicName: `${config.name}-vault-alerts`,
      displayName: 'Lifeline vault alerts',
      masterKey: key,
      enforceSSL: true,
    });
    const alarmName = `${config.name}-vault-prune-failed`;
    // CloudWatch publishes the alarm to the topic under the vault key: the key and the topic must let it.
    allowAlarmsToPublish(this.alerts, key, [alarmName], 'VaultPruneAlarmPublishes');
    // With an escalation, production's incident sink (same region, the production account) hears these alerts.
    if (config.escalation)
      IncidentSink.subscribeFromAnotherRegion(this.alerts, config.name, this.region, props.sourceAccount);

    // Pruning happens here, in the vault account, by a role only Lambda can assume: production, which may act as the
    // copier, can delete nothing in the vault.
    const databases: VaultDatabase[] = config.databases
      .filter((db) => db.backup.copyToVault)
      .map((db) => ({ id: db.id, kind: db.kind, timeZone: db.backup.timeZone }));
    this.pruner = new LifelineFunction(this, 'PruneVault', {
      entry: 'functions/vault/prune-vault.ts',
      description: 'the pruning of the vault copies by vault.retention',
      logKey: key,
      timeout: Duration.minutes(5),
      environment: {
        [ENV.vaultAccount]: this.account,
        [ENV.vaultDatabases]: JSON.stringify(databases),
        [ENV.vaultRetention]: JSON.stringify(config.vault?.retention),
        [ENV.alertsTopicArn]: this.alerts.topicArn,
        [ENV.installation]: config.name,
      },
    });
    const pruneRole = this.pruner.role;
    pruneRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'],
        resources: [rdsArn('snapshot', '*'), rdsArn('cluster-snapshot', '*')],
      }),
    );
    // Deletion is limited three times: to lifeline-* names, to snapshots tagged as Lifeline's, and as this installation's.
    pruneRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DeleteDBSnapshot'],
        resources: [copies[0] as string],
        conditions: {
          StringEquals: {
            [`rds:snapshot-tag/${TAG.managedBy}`]: MANAGED_BY,
            [`rds:snapshot-tag/${TAG.installation}`]: config.name,
          },
        },
      }),
    );
    pruneRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DeleteDBClusterSnapshot'],
        resources: [copies[1] as string],
        conditions: {
          StringEquals: {
            [`rds:cluster-snapshot-tag/${TAG.managedBy}`]: MANAGED_BY,
            [`rds:cluster-snapshot-tag/${TAG.installation}`]: config.name,
          },
        },
      }),
    );
    this.alerts.grantPublish(pruneRole);
    new cloudwatch.Alarm(this, 'PruneVaultFailed', {
      alarmName,
      alarmDescription: `The vault pruner (${this.pruner.function.functionName}) failed: the vault copies are not pruned by vault.retention and the vault fills towards its manual snapshot quota. Read the function's logs; the alert published by the function names the database and the error.`,
      metric: this.pruner.function.metricErrors({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new actions.SnsAction(this.alerts));
    // Daily, at a fixed hour in UTC (no daylight saving time to skip a run).
    new scheduler.Schedule(this, 'PruneVaultDaily', {
      scheduleName: `${config.name}-prune-vault`,
      description: 'Prune the vault copies by vault.retention',
      schedule: scheduler.ScheduleExpression.cron({ minute: '30', hour: '5' }),
      key,
      target: new targets.LambdaInvoke(this.pruner.function, { retryAttempts: 2 }),
    });

    // What a person or a tool reads of the vault (keys in infra/outputs.ts).
    addVaultOutputs(this, config, {
      keyArn: key.keyArn,
      alertsTopicArn: this.alerts.topicArn,
      copierRoleArn: this.copier.roleArn,
      prunerFunctionName: this.pruner.function.functionName,
    });
  }
  /**
   * The role a ransomware failover reads the vault through, from the DR region of the production account: only the
   * failover's pre-check and recovery functions may assume it (named roles, as the copier trusts the backup's). It may
   * list the vault copies and share one of this installation's with the production account, nothing else: not copy,
   * tag or delete. The restore copies the shared copy into production under the DR key (AWS requires a KmsKeyId for
   * a copy of a shared encrypted snapshot), so RDS in production reads it under the vault key, through a grant: the
   * key policy lets the recovery function's role do that, via RDS in the DR region only.
   */
  private failoverReader(
    config: LifelineConfig,
    sourceAccount: string,
    key: kms.IKey,
    { copies, all, viaRds }: { copies: string[]; all: string[]; viaRds: Record<string, string> },
  ): iam.Role {
    const names = namesOf(config);
    const sourceRole = (name: string) => `arn:${this.partition}:iam::${sourceAccount}:role/${name}`;
    const { precheck, recover } = names.vaultReaderSourceRoles;
    const reader = new iam.Role(this, 'FailoverReader', {
      roleName: names.vaultReaderRole,
      description: 'Lists the Lifeline vault copies and shares one with production for a ransomware failover',
      assumedBy: new iam.AccountPrincipal(sourceAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': [sourceRole(precheck), sourceRole(recover)] },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    reader.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'],
        resources: all,
      }),
    );
    reader.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['rds:ListTagsForResource'], resources: copies }));
    // Sharing, only of this installation's copies (the snapshot types' tag keys; the action has no request keys, so
    // the account it names is not restricted here: the vault key lets only production read a shared copy).
    for (const [type, action, resource] of [
      ['snapshot', 'rds:ModifyDBSnapshotAttribute', copies[0]],
      ['cluster-snapshot', 'rds:ModifyDBClusterSnapshotAttribute', copies[1]],
    ] as const)
      reader.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [action],
          resources: [resource as string],
          conditions: {
            StringEquals: {
              [`rds:${type}-tag/${TAG.managedBy}`]: MANAGED_BY,
              [`rds:${type}-tag/${TAG.installation}`]: config.name,
            },
          },
        }),
      );
    // RDS in production copies the shared copy: it decrypts under the vault key through a grant, for the recovery
    // function's role only, and only through RDS in the DR region.
    const recoverer = { ArnEquals: { 'aws:PrincipalArn': sourceRole(recover) }, StringEquals: viaRds };
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'FailoverRecoveryReadsVaultCopies',
        principals: [new iam.AccountPrincipal(sourceAccount)],
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: recoverer,
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'FailoverRecoveryGrantsRds',
        principals: [new iam.AccountPrincipal(sourceAccount)],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { ...recoverer, Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );
    return reader;
  }
}
