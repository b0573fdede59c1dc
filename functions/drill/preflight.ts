import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import {
  DescribeAccountAttributesCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { kms, rds } from '../commons/aws';
import { ENV, EVIDENCE, MANAGED_BY, TAG } from '../commons/contracts';
import { PreflightFailed } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { describeSnapshot, listManualSnapshots, type Snapshot } from '../commons/rds-snapshots';
import { env } from '../commons/runtime';
import type { DrillPlan, PreflightInput, RecoveryPoint } from './contracts';

/**
 * Everything the drill needs, checked before anything is created: the recovery point (one this installation
 * made of this database), the DR key, the isolated subnet group, instance quota headroom, an overridden
 * instance class RDS offers for the engine. A failure names what to fix.
 */
export async function preflight(plan: PreflightInput): Promise<RecoveryPoint> {
  const region = env('AWS_REGION');
  const client = rds(region);
  const problems: string[] = [];

  const key = await kms(region)
    .send(new DescribeKeyCommand({ KeyId: env(ENV.drKeyAlias) }))
    .catch((error: Error) => ({ KeyMetadata: undefined, error }));
  if (!key.KeyMetadata)
    problems.push(`the DR key ${env(ENV.drKeyAlias)} cannot be read in ${region}: deploy the DR stack`);
  else if (key.KeyMetadata.KeyState && key.KeyMetadata.KeyState !== 'Enabled')
    problems.push(`the DR key ${env(ENV.drKeyAlias)} is ${key.KeyMetadata.KeyState}: enable it`);

  const subnetGroup = env(ENV.drillSubnetGroup);
  const groups = await client
    .send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: subnetGroup }))
    .catch(() => ({ DBSubnetGroups: [] }));
  if ((groups.DBSubnetGroups ?? []).length === 0)
    problems.push(`the drill subnet group ${subnetGroup} does not exist in ${region}: deploy the DR stack`);

  const quotas = await client.send(new DescribeAccountAttributesCommand({})).catch((error: Error) => {
    logger.warn('Could not read the RDS account quotas', { error: error.message });
    return { AccountQuotas: [] };
  });
  const instances = quotas.AccountQuotas?.find((q) => q.AccountQuotaName === 'DBInstances');
  if (instances?.Max !== undefined && (instances.Used ?? 0) >= instances.Max) {
    problems.push(
      `the account runs ${instances.Used} of ${instances.Max} DB instances in ${region}: raise the quota or remove instances`,
    );
  }

  if (plan.instanceClassOverride !== undefined) await checkInstanceClass(client, plan, region, problems);

  const point = await recoveryPoint(plan, problems);
  if (problems.length > 0 || !point)
    throw new PreflightFailed(`Drill of ${plan.database} cannot start: ${problems.join('; ')}`);
  return point;
}

async function recoveryPoint(plan: DrillPlan, problems: string[]): Promise<RecoveryPoint | undefined> {
  const region = env('AWS_REGION');
  const client = rds(region);
  const choice = plan.recoveryPoint;
  if (choice.type === 'snapshot') {
    const snapshot = await describeSnapshot(client, plan.kind, choice.id);
    if (!snapshot) {
      problems.push(`snapshot ${choice.id} does not exist in ${region}`);
      return undefined;
    }
    const foreign = notOwnPoint(snapshot, plan);
    if (foreign) {
      problems.push(
        `snapshot ${choice.id} ${foreign}; a drill restores only Lifeline's recovery points of ${plan.database}: name one of them, or leave recoveryPoint out to drill the newest verified copy`,
      );
      return undefined;
    }
    if (snapshot.status !== 'available') {
      problems.push(`snapshot ${choice.id} is ${snapshot.status}, not available`);
      return undefined;
    }
    return {
      type: 'snapshot',
      id: snapshot.id,
      time: snapshot.tags[TAG.scheduledTime] ?? snapshot.createdAt ?? '',
      ...evidenceOf(snapshot),
    };
  }
  if (choice.type === 'pointInTime') {
    // The backups replicated here are found by their source's ARN; they keep the source's identifier, not its instance.
    const backups = await client
      .send(
        new DescribeDBInstanceAutomatedBackupsCommand(
          plan.pointInTimeSource
            ? { Filters: [{ Name: 'db-instance-id', Values: [plan.pointInTimeSource] }] }
            : { DBInstanceIdentifier: plan.identifier },
        ),
      )
      .catch(() => ({ DBInstanceAutomatedBackups: [] }));
    const restorable = (backups.DBInstanceAutomatedBackups ?? []).filter(
      (b) => b.RestoreWindow?.EarliestTime && b.RestoreWindow.LatestTime,
    );
    const latestOf = (b: (typeof restorable)[number]) => b.RestoreWindow?.LatestTime?.getTime() ?? 0;
    // "latest": the latest restorable time as preflight reads it, so the report's RPO is measured from the point restored.
    const covering =
      choice.time === 'latest'
        ? restorable.sort((a, b) => latestOf(b) - latestOf(a))[0]
        : restorable.find(
            (b) =>
              (b.RestoreWindow?.EarliestTime as Date) <= new Date(choice.time) &&
              new Date(choice.time) <= (b.RestoreWindow?.LatestTime as Date),
          );
    if (!covering) {
      const windows = restorable
        .map((b) => `${b.RestoreWindow?.EarliestTime?.toISOString()} to ${b.RestoreWindow?.LatestTime?.toISOString()}`)
        .join(', ');
      problems.push(
        `${plan.identifier} has no automated backups in ${region} covering ${choice.time}${windows ? ` (restorable: ${windows})` : ''}: replicate automated backups to the DR region, or choose a snapshot`,
      );
      return undefined;
    }
    return {
      type: 'point-in-time',
      id: covering.DBInstanceAutomatedBackupsArn ?? plan.identifier,
      time: choice.time === 'latest' ? (covering.RestoreWindow?.LatestTime?.toISOString() ?? '') : choice.time,
      ...evidenceOf({
        arn: covering.DBInstanceAutomatedBackupsArn ?? '',
        kmsKeyId: covering.KmsKeyId,
        engineVersion: covering.EngineVersion,
      }),
    };
  }
  const copies = (await listManualSnapshots(client, plan.kind)).filter(
    (s) => !notOwnPoint(s, plan) && s.tags[TAG.verified] === EVIDENCE.copyVerified && s.status === 'available',
  );
  const time = (s: (typeof copies)[number]) => s.tags[TAG.scheduledTime] ?? s.createdAt ?? '';
  const newest = copies.sort((a, b) => time(b).localeCompare(time(a)))[0];
  if (!newest) {
    problems.push(`there is no verified copy of ${plan.database} in ${region}: run a backup with copyToDr first`);
    return undefined;
  }
  return { type: 'latest-copy', id: newest.id, time: time(newest), ...evidenceOf(newest) };
}

/** What RDS says of the recovery point, for the report: only the fields it named. */
function evidenceOf(point: Pick<Snapshot, 'arn' | 'kmsKeyId' | 'engineVersion'>): Partial<RecoveryPoint> {
  return {
    ...(point.arn ? { arn: point.arn } : {}),
    ...(point.kmsKeyId ? { kmsKeyId: point.kmsKeyId } : {}),
    ...(point.engineVersion ? { engineVersion: point.engineVersion } : {}),
  };
}

/**
 * Why `snapshot` is not a recovery point this installation made of the plan's database, as the end of a
 * sentence that starts with the snapshot's id; undefined when it is one.
 */
export function notOwnPoint(snapshot: Snapshot, plan: DrillPlan): string | undefined {
  const installation = env(ENV.installation);
  if (snapshot.tags[TAG.managedBy] !== MANAGED_BY) return `was not made by Lifeline (it has no ${TAG.managedBy} tag)`;
  const database = snapshot.tags[TAG.database];
  if (database !== plan.database)
    return database === undefined
      ? `has no ${TAG.database} tag`
      : `is a recovery point of ${database}, not of ${plan.database}`;
  const owner = snapshot.tags[TAG.installation];
  if (owner !== installation)
    return owner === undefined
      ? `has no ${TAG.installation} tag, so this installation (${installation}) did not make it`
      : `was made by the Lifeline installation ${owner}, not by this one (${installation})`;
  // RDS keeps identifiers in lower case; the config may not.
  if (snapshot.source.toLowerCase() !== plan.identifier.toLowerCase())
    return `is a snapshot of ${snapshot.source || 'an unknown source'}, not of ${plan.identifier}`;
  return undefined;
}

/** An instance class the operator asked for must be one RDS offers for the engine in this region. */
async function checkInstanceClass(client: RDSClient, plan: DrillPlan, region: string, problems: string[]) {
  const instanceClass = plan.instanceClassOverride as string;
  const out = await client.send(
    new DescribeOrderableDBInstanceOptionsCommand({ Engine: plan.engine, DBInstanceClass: instanceClass }),
  );
  const offered = (out.OrderableDBInstanceOptions ?? []).some((o) => o.DBInstanceClass === instanceClass);
  if (!offered)
    problems.push(
      `RDS does not offer the instance class ${instanceClass} for ${plan.engine} in ${region}: choose another overrides.instanceClass, or leave it out to use the configured ${plan.configuredInstanceClass ?? 'class'}`,
    );
}

export const handler = lifelineHandler(preflight);
