import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * A rotating customer-managed key that CloudWatch Logs in this region may use for Lifeline's log groups; `role` (the
 * region's part: primary, dr, vault) is in its description.
 */
export function lifelineKey(scope: Construct, alias: string, role: string): kms.Key {
  const stack = Stack.of(scope);
  const key = new kms.Key(scope, 'Key', {
    alias,
    description: `Lifeline ${role} key: snapshots, logs, topics and reports`,
    enableKeyRotation: true,
    pendingWindow: Duration.days(30),
    // Recovery points encrypted with it must outlive the stack.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*`,
        },
      },
    }),
  );
  return key;
}

/**
 * What a principal needs for RDS to use a customer-managed key on its behalf (copy, restore): kms:CreateGrant and
 * kms:DescribeKey (AWS's RDS guide), and kms:Decrypt, each only through RDS in `regions`; grants only for AWS
 * resources. `conditions` narrows further (e.g. to a key alias). Service names end in the partition's URL suffix
 * (amazonaws.com.cn in China).
 */
export function rdsKeyUse(
  keys: string[],
  regions: string[],
  conditions: Record<string, Record<string, unknown>> = {},
): iam.PolicyStatement[] {
  const services = regions.map((region) => `rds.${region}.${Aws.URL_SUFFIX}`);
  const viaRds = { 'kms:ViaService': services.length === 1 ? services[0] : services };
  const condition = (extra: Record<string, Record<string, unknown>>) => ({
    ...conditions,
    ...extra,
    StringEquals: { ...conditions.StringEquals, ...extra.StringEquals, ...viaRds },
  });
  return [
    new iam.PolicyStatement({
      actions: ['kms:DescribeKey', 'kms:Decrypt'],
      resources: keys,
      conditions: condition({}),
    }),
    new iam.PolicyStatement({
      actions: ['kms:CreateGrant'],
      resources: keys,
      conditions: condition({ Bool: { 'kms:GrantIsForAWSResource': true } }),
    }),
  ];
}
