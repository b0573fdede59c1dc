/** Links into the AWS console for what a drill report names. Pure: no SDK, no environment. */

/** Partition, region and account of an ARN (`arn:<partition>:<service>:<region>:<account>:...`); undefined if it is not one. */
export function arnParts(arn: string): { partition: string; region: string; account: string } | undefined {
  const [prefix, partition, , region, account] = arn.split(':');
  if (prefix !== 'arn' || !partition || !region || !account) return undefined;
  return { partition, region, account };
}

const CONSOLE_DOMAIN: Record<string, string> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/** The region's console, or undefined for a partition whose console address is not known here (no guessed link). */
function consoleOf(partition: string, region: string): string | undefined {
  const domain = CONSOLE_DOMAIN[partition];
  return domain && `https://${region}.${domain}`;
}

export function executionLink(executionArn: string): string | null {
  const parts = arnParts(executionArn);
  const base = parts && consoleOf(parts.partition, parts.region);
  return base ? `${base}/states/home?region=${parts.region}#/v2/executions/details/${executionArn}` : null;
}

/** A snapshot's page in the RDS console (the fragment RDS's own event notifications link to); none for a point in time. */
export function snapshotLink(
  where: { partition: string; region: string },
  point: { type: string; id: string },
  kind: 'instance' | 'cluster',
  engine: string,
): string | null {
  const base = consoleOf(where.partition, where.region);
  if (!base || point.type === 'point-in-time') return null;
  const page = kind === 'cluster' ? 'snapshot' : 'db-snapshot';
  return `${base}/rds/home?region=${where.region}#${page}:engine=${encodeURIComponent(engine)};id=${encodeURIComponent(point.id)}`;
}

export function s3ObjectLink(where: { partition: string; region: string }, bucket: string, key: string): string | null {
  const base = consoleOf(where.partition, where.region);
  return base
    ? `${base}/s3/object/${bucket}?region=${where.region}&bucketType=general&prefix=${encodeURIComponent(key)}`
    : null;
}
