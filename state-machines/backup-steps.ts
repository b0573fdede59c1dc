import { Arn, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ALERT_HANDLERS } from '../functions/alerts/contracts';
import { BACKUP_HANDLERS } from '../functions/backup/contracts';
import { ENV, EVIDENCE, MANAGED_BY, snapshotPrefix, TAG } from '../functions/commons/contracts';
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

/** A snapshot and a cluster snapshot ARN (pattern), in this order, as `rdsArns(...).snapshots` gives them. */
export type SnapshotPair = readonly string[];
type SnapshotType = 'snapshot' | 'cluster-snapshot';

/**
 * Condition: the snapshot is tagged as Lifeline's and as this installation's. The snapshot and cluster-snapshot
 * resource types take `rds:snapshot-tag/${TagKey}` and `rds:cluster-snapshot-tag/${TagKey}` for every action on
 * them (Service Authorization Reference, "Actions, resources, and condition keys for Amazon RDS", resource types).
 */
export const taggedAsInstallation = (installation: string, type: SnapshotType) => ({
  StringEquals: {
    [`rds:${type}-tag/${TAG.managedBy}`]: MANAGED_BY,
    [`rds:${type}-tag/${TAG.installation}`]: installation,
  },
});

/** One statement per snapshot type: its `actions` on its ARNs of `pairs`, under `conditions(type)`. */
export function perSnapshotType(
  actions: string[] | Readonly<Record<SnapshotType, string[]>>,
  pairs: readonly SnapshotPair[],
  conditions: (type: SnapshotType) => Record<string, Record<string, unknown>>,
): iam.PolicyStatement[] {
  return (['snapshot', 'cluster-snapshot'] as const).map(
    (type, i) =>
      new iam.PolicyStatement({
        actions: Array.isArray(actions) ? actions : actions[type],
        resources: pairs.map((pair) => pair[i] as string),
        conditions: conditions(type),
      }),
  );
}

/**
 * Tags given when a snapshot is created or copied: RDS authorizes them as `rds:AddTagsToResource` on the new
 * snapshot, which has no tags yet (RDS User Guide, "Grant permission to tag Amazon RDS resources during creation").
 * They must be Lifeline's keys only and name Lifeline and `installation`; the new snapshot carries no Lifeline tag
 * yet, so an existing snapshot cannot be retagged this way. `rds:AddTagsToResource` takes `aws:RequestTag/${TagKey}`
 * and `aws:TagKeys` (Service Authorization Reference). RDS documents this check for the tags a request names, not
 * for those `CopyTags` copies: every create and copy names the identity tags in its request.
 */
export function tagsOnCreate(installation: string, resources: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['rds:AddTagsToResource'],
    resources,
    conditions: {
      'ForAllValues:StringLike': { 'aws:TagKeys': 'lifeline:*' },
      StringEquals: {
        [`aws:RequestTag/${TAG.managedBy}`]: MANAGED_BY,
        [`aws:RequestTag/${TAG.installation}`]: installation,
      },
      Null: {
        'aws:TagKeys': 'false',
        [`rds:snapshot-tag/${TAG.managedBy}`]: 'true',
        [`rds:cluster-snapshot-tag/${TAG.managedBy}`]: 'true',
      },
    },
  });
}

/**
 * Evidence on an existing snapshot of `installation` (tagged so, see `taggedAsInstallation`): the request sets
 * exactly the tags of `evidence`, with these values, and no other tag, so no identity tag of a snapshot (its
 * database, installation, scheduled time) can be rewritten to mislead pruning. `aws:TagKeys` and
 * `aws:RequestTag/${TagKey}` are the request's (Service Authorization Reference, `rds:AddTagsToResource`).
 */
export function evidenceTags(
  installation: string,
  pairs: readonly SnapshotPair[],
  evidence: Readonly<Record<string, string>>,
): iam.PolicyStatement[] {
  return perSnapshotType(['rds:AddTagsToResource'], pairs, (type) => ({
    'ForAllValues:StringEquals': { 'aws:TagKeys': Object.keys(evidence) },
    Null: { 'aws:TagKeys': 'false' },
    StringEquals: {
      ...taggedAsInstallation(installation, type).StringEquals,
      ...Object.fromEntries(Object.entries(evidence).map(([key, value]) => [`aws:RequestTag/${key}`, value])),
    },
  }));
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
  const installationTag = (type: SnapshotType) => taggedAsInstallation(ctx.installation, type);

  const validate = step('ValidateRequest', BACKUP_HANDLERS.validateRequest, 'the check of a backup request');

  // The new snapshot is tagged as it is created; the protected databases themselves are never tagged.
  const create = step('CreateSnapshot', BACKUP_HANDLERS.createSnapshot, 'the creation of a Lifeline snapshot')
    .allow(['rds:CreateDBSnapshot', 'rds:CreateDBClusterSnapshot'], [...sources, ...own])
    .allowAll([tagsOnCreate(ctx.installation, own)]);
  const check = step('CheckSnapshot', BACKUP_HANDLERS.checkSnapshot, 'the check whether a snapshot is available');
  for (const reader of [create, check]) reader.allow(describe, [...snapshots('*'), ...sources]);

  const explain = step('ExplainFailure', ALERT_HANDLERS.explainFailure, 'the explanation of a failed backup');
  const slot = step('CopySlot', BACKUP_HANDLERS.copySlot, 'the copy-slot semaphore');
  ctx.copySlots.grantReadWriteData(slot.role);

  // The DR key is found by its alias; only that key may be used, and RDS in the DR region is granted its use.
  const drKeys = [Arn.format({ service: 'kms', region: ctx.drRegion, resource: 'key', resourceName: '*' }, stack)];
  const drAlias = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ctx.drKeyAlias } };
  const copier = step('CopySnapshot', BACKUP_HANDLERS.copySnapshot, 'the start of a copy to the DR region')
    .allow(['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot'], [...own, ...copies])
    // The copy is tagged as it is made, with the source's identity tags.
    .allowAll([tagsOnCreate(ctx.installation, copies)])
    .allow(describe, snapshots('*', ctx.drRegion))
    // Before copying, the source is read: its identity tags, and an unencrypted Aurora cluster snapshot cannot be
    // copied under the DR key.
    .allow(describe, own)
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
    // The evidence: the copy is verified, and so is the source's DR copy.
    .allowAll(evidenceTags(ctx.installation, [copies], { [TAG.verified]: EVIDENCE.copyVerified }))
    .allowAll(evidenceTags(ctx.installation, [own], { [TAG.drCopy]: EVIDENCE.verified }));

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
