import { Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ALERT_HANDLERS } from '../functions/alerts/contracts';
import { drillPrefix, ENV, MANAGED_BY, TAG } from '../functions/commons/contracts';
import { DRILL_HANDLERS, DRILL_RESOURCE_TAG_KEYS } from '../functions/drill/contracts';
import { rdsArns } from './arns';
import type { DrillSpec } from './databases';
import { rdsKeyUse } from './keys';
import { LambdaStep, type LambdaStepProps } from './step';

/** What the drill steps are built from: the workflow's props with their defaults applied. */
export interface DrillStepsContext {
  readonly installation: string;
  readonly drills: readonly DrillSpec[];
  /** The DR region's key: logs, and the restored databases' encryption. */
  readonly key: kms.IKey;
  /** How the functions name the key (DescribeKey); an alias or the key's ARN. */
  readonly keyId: string;
  readonly reports: s3.IBucket;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly subnetGroup: rds.ISubnetGroup;
  readonly databaseSecurityGroup: ec2.ISecurityGroup;
  readonly checkSecurityGroup: ec2.ISecurityGroup;
}

/**
 * The functions of the drill workflow, each with what its role may do: restore only into databases named as
 * this installation's drills, delete only those tagged as a drill, read only the credentials the drills name.
 */
export function drillSteps(scope: Construct, ctx: DrillStepsContext) {
  const stack = Stack.of(scope);
  const environment = {
    [ENV.drKeyAlias]: ctx.keyId,
    [ENV.drillSubnetGroup]: ctx.subnetGroup.subnetGroupName,
    [ENV.drillSecurityGroup]: ctx.databaseSecurityGroup.securityGroupId,
    [ENV.reportsBucket]: ctx.reports.bucketName,
    [ENV.installation]: ctx.installation,
  };
  const step = <I, O>(
    id: string,
    contract: { readonly entry: string; readonly types?: { input: I; output: O } },
    description: string,
    extra: Partial<LambdaStepProps> = {},
  ) => new LambdaStep<I, O>(scope, id, contract, { description, logKey: ctx.key, environment, ...extra });
  const { arn, snapshots } = rdsArns(scope);
  const drillName = `${drillPrefix(ctx.installation)}*`;
  const drillDbs = [arn('db', drillName), arn('cluster', drillName)];
  const anySnapshot = snapshots('*');
  const databases = ['rds:DescribeDBInstances', 'rds:DescribeDBClusters'];

  const validate = step('ValidateDrill', DRILL_HANDLERS.validateDrill, 'the check of a drill request');
  const preflight = step('Preflight', DRILL_HANDLERS.preflight, 'the drill preflight')
    .allow(['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'], anySnapshot)
    .allow(['rds:DescribeDBSubnetGroups'], [arn('subgrp', '*')])
    .allow(['rds:DescribeDBInstanceAutomatedBackups'], [arn('auto-backup', '*'), arn('db', '*')])
    .allow(['rds:DescribeAccountAttributes'], ['*'])
    // Whether RDS offers an overridden instance class for the engine; the action has no resource type.
    .allow(['rds:DescribeOrderableDBInstanceOptions'], ['*'])
    .allow(['kms:DescribeKey'], [ctx.key.keyArn]);

  const restore = step('Restore', DRILL_HANDLERS.restore, 'the restore of a recovery point for a drill')
    .allow(
      [
        'rds:RestoreDBInstanceFromDBSnapshot',
        'rds:RestoreDBInstanceToPointInTime',
        'rds:RestoreDBClusterFromSnapshot',
        'rds:CreateDBInstance',
      ],
      [
        ...drillDbs,
        ...anySnapshot,
        arn('subgrp', ctx.subnetGroup.subnetGroupName),
        ...['secgrp', 'og', 'pg', 'cluster-pg', 'auto-backup'].map((type) => arn(type, '*')),
      ],
    )
    // Tags go only onto the drill's own databases, and only the drill's tags: the managed-by tag that guards every
    // delete cannot be put on a snapshot or a group this way.
    .allow(['rds:AddTagsToResource'], drillDbs, {
      'ForAllValues:StringEquals': { 'aws:TagKeys': [...DRILL_RESOURCE_TAG_KEYS] },
      StringEquals: { [`aws:RequestTag/${TAG.managedBy}`]: MANAGED_BY },
      StringLike: { [`aws:RequestTag/${TAG.drill}`]: '*' },
    })
    // The restored database is encrypted with the DR key, by RDS in this region.
    .allowAll(rdsKeyUse([ctx.key.keyArn], [stack.region]))
    // The cluster restore reads the snapshot's engine version.
    .allow(['rds:DescribeDBClusterSnapshots'], [arn('cluster-snapshot', '*')]);

  const waiter = step('WaitRestored', DRILL_HANDLERS.waitRestored, 'the wait for a restored database');
  const check = step('CheckData', DRILL_HANDLERS.checkData, 'the data checks against a restored database', {
    vpc: ctx.vpc,
    vpcSubnets: ctx.subnets,
    securityGroups: [ctx.checkSecurityGroup],
    timeout: Duration.minutes(5),
    environment: { ...environment, NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' },
  });
  for (const drill of ctx.drills) {
    // A secret by name: its ARN ends in a hyphen and the 6 random characters Secrets Manager appends, and `-??????`
    // matches exactly those (`-*` would also match `<name>-admin-…`, another secret).
    const secret = drill.credentials;
    check.allow(['secretsmanager:GetSecretValue'], [secret.secretFullArn ?? `${secret.secretArn}-??????`]);
    // A secret under a customer-managed key is decrypted by Secrets Manager with the caller's permission.
    if (drill.credentialsKey)
      check.allow(['kms:Decrypt'], [drill.credentialsKey.keyArn], {
        StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` },
      });
  }
  const cleaner = step('Cleanup', DRILL_HANDLERS.cleanup, 'the deletion of a drill database');
  const reporter = step('Report', DRILL_HANDLERS.report, 'the drill report');
  // Each drill's report, and each database's history (read back to append to it): those keys and no others.
  const ids = ctx.drills.map((drill) => drill.database.id);
  const history = ids.flatMap((id) => [`history/${id}/index.json`, `history/${id}/index.html`]);
  reporter
    .allow(
      ['s3:PutObject'],
      [...ids.map((id) => `drills/${id}/*`), ...history].map((k) => ctx.reports.arnForObjects(k)),
    )
    .allow(
      ['s3:GetObject'],
      history.map((k) => ctx.reports.arnForObjects(k)),
    )
    // The bucket is encrypted with the DR key: writing needs a data key, reading the history back decrypts it.
    .allow(['kms:GenerateDataKey', 'kms:Decrypt'], [ctx.key.keyArn], {
      StringEquals: { 'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}` },
    });
  const explain = step('ExplainFailure', ALERT_HANDLERS.explainFailure, 'the explanation of a failed drill');
  const sweeper = step('Sweeper', DRILL_HANDLERS.sweep, 'the sweeper of drill databases left behind', {
    timeout: Duration.minutes(5),
  });

  for (const reader of [restore, waiter, cleaner, sweeper])
    reader.allow(databases, [arn('db', '*'), arn('cluster', '*')]);
  for (const deleter of [cleaner, sweeper]) drillDeletion(scope, ctx.installation, deleter);

  return { validate, preflight, restore, waiter, check, cleaner, reporter, explain, sweeper };
}

/**
 * Deletion only of drill databases: named `<installation>-drill-*` and tagged as a drill. DeleteDBCluster authorizes
 * on cluster-snapshot too (the final snapshot, which a drill skips): only a drill's name there, and no cluster-tag
 * condition, which a snapshot does not carry.
 */
export function drillDeletion(scope: Construct, installation: string, deleter: Pick<LambdaStep<unknown>, 'allow'>) {
  const { arn } = rdsArns(scope);
  const drillName = `${drillPrefix(installation)}*`;
  deleter
    .allow(['rds:DeleteDBInstance'], [arn('db', drillName)], { StringLike: { [`rds:db-tag/${TAG.drill}`]: '*' } })
    .allow(['rds:DeleteDBCluster'], [arn('cluster', drillName)], {
      StringLike: { [`rds:cluster-tag/${TAG.drill}`]: '*' },
    })
    .allow(['rds:DeleteDBCluster'], [arn('cluster-snapshot', drillName)]);
}
