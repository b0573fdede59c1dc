import { Arn, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { BACKUP_HANDLERS } from '../functions/backup/contracts';
import { ENV, EVIDENCE, TAG } from '../functions/commons/contracts';
import { rdsArns } from './arns';
import {
  type BackupStepsContext,
  backupStepFactory,
  evidenceTags,
  ownSnapshots,
  perSnapshotType,
  taggedAsInstallation,
} from './backup-steps';
import { type FailurePath, type PollPolicy, poll } from './common';
import { at } from './step';

/** Where the third copy goes: the vault account, in the DR region. */
export interface VaultTarget {
  /** The vault account (12 digits). */
  readonly account: string;
  /** The role in the vault account that makes the copies; it trusts only the role named `sourceRoleName`. */
  readonly copierRoleName: string;
  /** The name this workflow gives the role of its vault-copy function, which the copier role trusts. */
  readonly sourceRoleName: string;
  /** Alias of the vault key, in the vault account's DR region. */
  readonly keyAlias: string;
}

/** The environment the backup functions need to reach the vault. */
export function vaultEnvironment(scope: Construct, vault: VaultTarget, drRegion: string): Record<string, string> {
  return {
    [ENV.vaultAccount]: vault.account,
    // The vault copy is made from the DR copy, in the DR region: AWS copies across accounts within a region.
    [ENV.vaultRegion]: drRegion,
    [ENV.vaultRoleArn]: vaultCopierArn(scope, vault),
    [ENV.vaultKeyAlias]: vault.keyAlias,
  };
}

export const vaultCopierArn = (scope: Construct, vault: VaultTarget) =>
  Arn.format(
    { service: 'iam', region: '', account: vault.account, resource: 'role', resourceName: vault.copierRoleName },
    Stack.of(scope),
  );

export interface VaultCopyProps {
  readonly vault: VaultTarget;
  readonly context: BackupStepsContext;
  readonly failure: FailurePath;
  readonly copyPoll: PollPolicy;
}

/**
 * The copy into the vault account, from the verified DR copy and in the DR region (AWS copies snapshots across
 * accounts only within one region): share the DR copy with the vault account, copy it there under the vault key
 * (as the vault's copier role), wait for that copy and verify it. Every failure is explained and alerted. The vault
 * is pruned inside the vault account (its own pruner): nothing here deletes.
 */
export class VaultCopy extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, props: VaultCopyProps) {
    super(scope, id);
    const { context: ctx, failure } = props;
    const step = backupStepFactory(this, ctx);
    const { snapshots } = rdsArns(this);
    const { own, copies } = ownSnapshots(this, ctx);

    const sharer = step('Share', BACKUP_HANDLERS.shareWithVault, 'the sharing of the DR copy with the vault')
      .allow(['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'], snapshots('*', ctx.drRegion))
      // Only DR copies tagged as this installation's are shared (the snapshot types' tag keys, see
      // taggedAsInstallation; ModifyDB*SnapshotAttribute takes no request keys of its own).
      .allowAll(
        perSnapshotType(
          { snapshot: ['rds:ModifyDBSnapshotAttribute'], 'cluster-snapshot': ['rds:ModifyDBClusterSnapshotAttribute'] },
          [copies],
          (type) => taggedAsInstallation(ctx.installation, type),
        ),
      );
    // The copy is made in the vault account by its copier role; here only the evidence is written, on the DR copy
    // and on the source: their copy in the vault is verified.
    const copier = step('Copy', BACKUP_HANDLERS.vaultCopy, 'the copy into the vault account', {
      roleName: props.vault.sourceRoleName,
    })
      .allow(['sts:AssumeRole'], [vaultCopierArn(this, props.vault)])
      .allowAll(evidenceTags(ctx.installation, [own, copies], { [TAG.vaultCopy]: EVIDENCE.verified }));

    const share = failure.guard(
      sharer.task(this, 'Share the DR copy with the vault account', {
        input: { kind: at('$.plan.kind'), database: at('$.plan.database'), snapshotId: at('$.copyStarted.snapshotId') },
        resultPath: '$.vaultShare',
      }),
    );
    const start = failure.guard(
      copier.task(this, 'Copy the snapshot to the vault account', {
        input: {
          action: 'start',
          kind: at('$.plan.kind'),
          snapshotId: at('$.plan.snapshotId'),
          sharedArn: at('$.vaultShare.arn'),
          tags: at('$.vaultShare.tags'),
        },
        resultPath: '$.vaultCopyStarted',
      }),
    );
    const verify = failure.guard(
      poll(
        copier.task(this, 'Wait for the vault copy and verify it', {
          input: {
            action: 'verify',
            kind: at('$.plan.kind'),
            database: at('$.plan.database'),
            snapshotId: at('$.vaultCopyStarted.snapshotId'),
            kmsKeyArn: at('$.vaultCopyStarted.kmsKeyArn'),
            sharedArn: at('$.vaultShare.arn'),
            sourceArn: at('$.source.arn'),
          },
          resultPath: '$.vault',
        }),
        props.copyPoll,
      ),
    );
    share.next(start).next(verify);
    this.startState = share;
    this.endStates = [verify];
  }
}
