import { Arn, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ALERT_HANDLERS } from '../functions/alerts/contracts';
import { BACKUP_HANDLERS } from '../functions/backup/contracts';
import { ENV, MANAGED_BY, snapshotPrefix, TAG } from '../functions/commons/contracts';
import { rdsArns, rdsService } from './arns';
import { kindOf, type ProtectedDatabase } from './databases';
import { rdsKeyUse } from './keys';
import { LambdaStep, type LambdaStepProps } from './step';

/** What the backup steps are built from: the workflow's props with their defaults applied. */
export interface BackupStepsContext {
  readonly installation: string;
  readonly databases: readonly ProtectedDatabase[];
  readonly drRegion: string;
  readonly drKeyAlias: string;
  readonly key: kms.IKey;
  readonly alerts: sns.ITopic;
  readonly copySlots: dynamodb.ITable;
  readonly copySlotLimit: number;
  readonly snapshotQuota: number;
  /** Environment of every backup function besides the above (the vault's, when there is one). */
  readonly environment: Readonly<Record<string, string>>;
}

/** A backup function with the environment every backup function has. */
export function backupStepFactory(scope: Construct, ctx: BackupStepsContext) {
  return <I, O>(
    id: string,
    contract: { readonly entry: string; readonly types?: { input: I; output: O } },
    description: string,
    extra: Partial<LambdaStepProps> = {},
  ) =>
    new LambdaStep<I, O>(scope, id, contract, {
      ...extra,
      description,
      logKey: ctx.key,
      environment: {
        ...ctx.environment,
        [ENV.snapshotQuota]: String(ctx.snapshotQuota),
        [ENV.drRegion]: ctx.drRegion,
        [ENV.drKeyAlias]: ctx.drKeyAlias,
        [ENV.copySlotsTable]: ctx.copySlots.tableName,
        [ENV.copySlotLimit]: String(ctx.copySlotLimit),
        [ENV.alertsTopicArn]: ctx.alerts.topicArn,
        [ENV.installation]: ctx.installation,
      },
    });
}

/** The snapshots and DR copies this installation makes, by name. */
export function ownSnapshots(scope: Construct, ctx: Pick<BackupStepsContext, 'installation' | 'drRegion'>) {
  const { snapshots } = rdsArns(scope);
  const own = `${snapshotPrefix(ctx.installation)}*`;
  return { own: snapshots(own), copies: snapshots(own, ctx.drRegion) };
}

/**
 * The functions of the backup workflow, each with what its role may do: read what it must, change only the
 * snapshots this installation made, and delete only those tagged as its own.
 */
export function backupSteps(scope: Construct, ctx: BackupStepsContext) {
  const stack = Stack.of(scope);
  const step = backupStepFactory(scope, ctx);
  const { arn, snapshots } = rdsArns(scope);
  const { own, copies } = ownSnapshots(scope, ctx);
  const sources = ctx.databases.map((db) => arn(kindOf(db) === 'cluster' ? 'cluster' : 'db', db.identifier));
  const describe = ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'];
  const installationTag = (type: 'snapshot' | 'cluster-snapshot') => ({
    StringEquals: {
      [`rds:${type}-tag/${TAG.managedBy}`]: MANAGED_BY,
      [`rds:${type}-tag/${TAG.installation}`]: ctx.installation,
    },
  });

  const validate = step('ValidateRequest', BACKUP_HANDLERS.validateRequest, 'the check of a backup request');

  // The new snapshot is tagged as it is created; the protected databases themselves are never tagged.
  const create = step('CreateSnapshot', BACKUP_HANDLERS.createSnapshot, 'the creation of a Lifeline snapshot')
    .allow(['rds:CreateDBSnapshot', 'rds:CreateDBClusterSnapshot'], [...sources, ...own])
    .allow(['rds:AddTagsToResource'], own);
  const check = step('CheckSnapshot', BACKUP_HANDLERS.checkSnapshot, 'the check whether a snapshot is available');
  for (const reader of [create, check]) reader.allow(describe, [...snapshots('*'), ...sources]);

  const explain = step('ExplainFailure', ALERT_HANDLERS.explainFailure, 'the explanation of a failed backup');
  const slot = step('CopySlot', BACKUP_HANDLERS.copySlot, 'the copy-slot semaphore');
  ctx.copySlots.grantReadWriteData(slot.role);

  // The DR key is found by its alias; only that key may be used, and RDS in the DR region is granted its use.
  const drKeys = [Arn.format({ service: 'kms', region: ctx.drRegion, resource: 'key', resourceName: '*' }, stack)];
  const drAlias = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ctx.drKeyAlias } };
  const copier = step('CopySnapshot', BACKUP_HANDLERS.copySnapshot, 'the start of a copy to the DR region')
    .allow(['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot', 'rds:AddTagsToResource'], [...own, ...copies])
    .allow(describe, snapshots('*', ctx.drRegion))
    // Before copying, the source is read: an unencrypted Aurora cluster snapshot cannot be copied under the DR key.
    .allow(['rds:DescribeDBClusterSnapshots'], [own[1] as string])
    .allow(['kms:DescribeKey'], drKeys, drAlias)
    .allow(['kms:CreateGrant'], drKeys, {
      ...drAlias,
      StringEquals: { 'kms:ViaService': rdsService(scope, ctx.drRegion) },
      Bool: { 'kms:GrantIsForAWSResource': true },
    });
  // Sources under a customer-managed key: RDS reads them with that key, in the source region (where the source
  // snapshot is) or the DR region (where the copy is requested).
  const sourceKeys = [...new Set(ctx.databases.flatMap((db) => (db.sourceKey ? [db.sourceKey.keyArn] : [])))];
  if (sourceKeys.length > 0) copier.allowAll(rdsKeyUse(sourceKeys, [stack.region, ctx.drRegion]));

  const verifier = step('VerifyCopy', BACKUP_HANDLERS.verifyCopy, 'the verification of a DR copy')
    .allow(describe, snapshots('*', ctx.drRegion))
    .allow(['rds:AddTagsToResource'], [...own, ...copies]);

  // Deletion is limited three times: to the installation's names, to snapshots tagged as Lifeline's, and as its own.
  const pruner = step('Prune', BACKUP_HANDLERS.prune, 'the pruning of recovery points by retention')
    .allow(describe, [...snapshots('*'), ...snapshots('*', ctx.drRegion)])
    .allow(['rds:DeleteDBSnapshot'], [own[0] as string, copies[0] as string], installationTag('snapshot'))
    .allow(
      ['rds:DeleteDBClusterSnapshot'],
      [own[1] as string, copies[1] as string],
      installationTag('cluster-snapshot'),
    );

  const recorder = step('RecordRun', BACKUP_HANDLERS.recordRun, 'the record of a backup run');
  ctx.alerts.grantPublish(recorder.role);

  return { validate, create, check, explain, slot, copier, verifier, pruner, recorder, own, copies };
}
