import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** ARNs of RDS resources in the stack's partition: `arn:<partition>:rds:<region>:<account>:<resource>:<name>`. */
export function rdsArns(scope: Construct) {
  const stack = Stack.of(scope);
  const arn = (resource: string, name: string, region: string = stack.region, account: string = stack.account) =>
    Arn.format(
      { service: 'rds', resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME, region, account },
      stack,
    );
  return {
    arn,
    /** Instance and cluster snapshots named `name` (a pattern). */
    snapshots: (name: string, region?: string, account?: string) => [
      arn('snapshot', name, region, account),
      arn('cluster-snapshot', name, region, account),
    ],
  };
}

/** `kms:ViaService` of RDS in `region`; the URL suffix is the partition's (amazonaws.com.cn in China). */
export const rdsService = (scope: Construct, region: string) => `rds.${region}.${Stack.of(scope).urlSuffix}`;
