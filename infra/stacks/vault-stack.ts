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

/** The vault account: a third copy of each recovery point, encrypted with a key the production account cannot delete. */
export class VaultStack extends Stack {
  readonly copier: iam.Role;

  constructor(scope: Construct, id: string, props: VaultStackProps) {
    super(scope, id, props);
    const { config, sourceAccount } = props;
    const key = lifelineKey(this, config.name, 'vault');
    // The source account may use the key to share snapshots into the vault; it may not manage or delete it.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AccountPrincipal(sourceAccount)],
        actions: [
          'kms:DescribeKey',
          'kms:CreateGrant',
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncrypt*',
          'kms:GenerateDataKey*',
        ],
        resources: ['*'],
      }),
    );

    // The copies are made here, by this role: only the production function's own role may assume it.
    this.copier = new iam.Role(this, 'Copier', {
      roleName: vaultCopierRoleName(config.name),
      description: 'Copies the Lifeline recovery points the production account shares into the vault',
      assumedBy: new iam.AccountPrincipal(sourceAccount).withConditions({
        ArnEquals: {
          'aws:PrincipalArn': `arn:${this.partition}:iam::${sourceAccount}:role/${vaultCopySourceRoleName(config.name)}`,
        },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    const rdsArn = (resource: string, name: string, region = this.region, account = this.account) =>
      Arn.format(
        { service: 'rds', resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME, region, account },
        this,
      );
    const copies = [rdsArn('snapshot', 'lifeline-*'), rdsArn('cluster-snapshot', 'lifeline-*')];
    const shared = [
      rdsArn('snapshot', 'lifeline-*', config.primaryRegion, sourceAccount),
      rdsArn('cluster-snapshot', 'lifeline-*', config.primaryRegion, sourceAccount),
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
    // RDS encrypts the copy with the vault key, and reads the shared snapshot with the primary key, through grants.
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:DescribeKey'], resources: [key.keyArn] }),
    );
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );
    const primaryKeys = Arn.format(
      { service: 'kms', region: config.primaryRegion, account: sourceAccount, resource: 'key', resourceName: '*' },
      this,
    );
    const primaryAlias = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': keyAlias(config.name, 'primary') } };
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [primaryKeys],
        conditions: primaryAlias,
      }),
    );
    this.copier.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [primaryKeys],
        conditions: { ...primaryAlias, Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );
  }
}
