import { Arn, ArnFormat, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { LifelineConfig } from '../config/schema';
import { keyAlias, lifelineKey } from './keys';

export interface VaultStackProps extends StackProps {
  readonly config: LifelineConfig;
  /** The account whose snapshots are copied into the vault. */
  readonly sourceAccount: string;
}

/** The role in the vault account that copies the recovery points the production account shares with it. */
export const vaultCopierRoleName = (name: string) => `${name}-vault-copier`;
/** The role of the production function that assumes the vault copier role; the only principal it trusts. */
export const vaultCopySourceRoleName = (name: string) => `${name}-backup-vault-copy`;

/** ARN of the vault copier role (`config.vault` must be set). */
export const vaultCopierArn = (stack: Stack, config: LifelineConfig) =>
  `arn:${stack.partition}:iam::${config.vault?.account}:role/${vaultCopierRoleName(config.name)}`;

/** The vault account: a third copy of each recovery point, encrypted with a key the production account cannot delete. */
export class VaultStack extends Stack {
  readonly copier: iam.Role;

  constructor(scope: Construct, id: string, props: VaultStackProps) {
    super(scope, id, props);
    const { config, sourceAccount } = props;
    // The vault key is used only inside the vault account, by the copier role (through RDS grants); the production
    // account gets nothing on it.
    const key = lifelineKey(this, config.name, 'vault');

    // The copies are made here, by this role: only the production function's own role may assume it.
    this.copier = new iam.Role(this, 'Copier', {
      roleName: vaultCopierRoleName(config.name),
      description: 'Copies the Lifeline DR copies the production account shares into the vault, and prunes them',
      assumedBy: new iam.AccountPrincipal(sourceAccount).withConditions({
        ArnEquals: {
          'aws:PrincipalArn': `arn:${this.partition}:iam::${sourceAccount}:role/${vaultCopySourceRoleName(config.name)}`,
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
    const copies = [rdsArn('snapshot', 'lifeline-*'), rdsArn('cluster-snapshot', 'lifeline-*')];
    // The copy crosses accounts within the DR region: its source is the DR copy shared by the production account.
    const shared = [
      rdsArn('snapshot', 'lifeline-*', sourceAccount),
      rdsArn('cluster-snapshot', 'lifeline-*', sourceAccount),
    ];
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot'],
        resources: [...copies, ...shared],
      }),
    );
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: copies }),
    );
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'],
        resources: [rdsArn('snapshot', '*'), rdsArn('cluster-snapshot', '*')],
      }),
    );
    // Pruning by vault.retention: deletion is limited twice, to lifeline-* names and to snapshots tagged as Lifeline's.
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DeleteDBSnapshot'],
        resources: [rdsArn('snapshot', 'lifeline-*')],
        conditions: { StringEquals: { 'rds:snapshot-tag/lifeline:managed-by': 'lifeline' } },
      }),
    );
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DeleteDBClusterSnapshot'],
        resources: [rdsArn('cluster-snapshot', 'lifeline-*')],
        conditions: { StringEquals: { 'rds:cluster-snapshot-tag/lifeline:managed-by': 'lifeline' } },
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
    const drAlias = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': keyAlias(config.name, 'dr') } };
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
  }
}
