import { Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { LifelineConfig } from '../config/schema';
import { lifelineKey } from './keys';

export interface VaultStackProps extends StackProps {
  readonly config: LifelineConfig;
  /** The account whose snapshots are copied into the vault. */
  readonly sourceAccount: string;
}

/** The vault account: a third copy of each recovery point, encrypted with a key the production account cannot delete. */
export class VaultStack extends Stack {
  constructor(scope: Construct, id: string, props: VaultStackProps) {
    super(scope, id, props);
    const key = lifelineKey(this, props.config.name, 'vault');
    // The source account may use the key to share snapshots into the vault; it may not manage or delete it.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AccountPrincipal(props.sourceAccount)],
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
  }
}
