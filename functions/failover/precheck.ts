import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import {
  DescribeAccountAttributesCommand,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeGlobalClustersCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { kms, rds, rdsAs } from '../commons/aws';
import { ENV, EVIDENCE, MANAGED_BY, TAG } from '../commons/contracts';
import { lifelineHandler, logger } from '../commons/handler';
import { listManualSnapshots, type Snapshot } from '../commons/rds-snapshots';
import { env, optionalEnv } from '../commons/runtime';
import { formatDuration } from '../drill/verdict';
import { route53 } from './aws';
import { type DnsRecord, FAILOVER_ENV, type FailoverPlan, type Precheck, type PrecheckOutcome } from './contracts';
import { FailoverPrecheckFailed } from './errors';
import { changesOf, planRecovery, type RecoveryFacts, recoveredInstance } from './plan-recovery';

const quiet = <T>(promise: Promise<T>): Promise<T | undefined> =>
  promise.catch((error: Error) => {
    logger.info('A pre-check read found nothing', { error: error.name, message: error.message });
    return undefined;
  });

/**
 * Everything the failover needs, read before anything changes, and the recovery source chosen from it: the target
 * is usable, the recovery point's age against the RPO, the DR key, the Route 53 record, the instance quota. Reads the
 * DR region (and Route 53) only, except a database-corruption restore configured to run in the primary region.
 * Every check goes into the record; a blocking one that fails stops the failover here.
 */
export async function precheck(plan: FailoverPlan): Promise<PrecheckOutcome> {
  const drRegion = env('AWS_REGION');
  const client = rds(drRegion);
  const checks: Precheck[] = [];
  const check = (name: string, ok: boolean, detail: string, blocking = true) =>
    checks.push({ name, ok, detail, blocking });
  const { entry, settings } = plan;

  const keyAlias = env(ENV.drKeyAlias);
  const key = await quiet(kms(drRegion).send(new DescribeKeyCommand({ KeyId: keyAlias })));
  const keyState = key?.KeyMetadata?.KeyState;
  check(
    'DR key',
    keyState === 'Enabled',
    keyState === undefined
      ? `the DR key ${keyAlias} cannot be read in ${drRegion}: deploy the DR stack`
      : `the DR key ${keyAlias} is ${keyState}`,
  );

  const currentRecord = await readRecord(plan);
  check(
    'Route 53 record',
    currentRecord !== undefined,
    currentRecord === undefined
      ? `hosted zone ${settings.hostedZoneId} cannot be read: check the id and that this role may list its records`
      : currentRecord.value === null
        ? `${settings.recordName} has no CNAME record in ${settings.hostedZoneId} yet; the failover creates it`
        : `${settings.recordName} is a CNAME to ${currentRecord.value} (TTL ${currentRecord.ttl} s)`,
  );
  const record: DnsRecord = currentRecord ?? {
    name: settings.recordName,
    type: 'CNAME',
    ttl: settings.ttl,
    value: null,
  };

  const facts = await readFacts(plan, client, drRegion);
  const decided = planRecovery(
    {
      entry,
      scenario: plan.scenario,
      pointInTime: plan.pointInTime,
      cleanBefore: plan.cleanBefore,
      corruptionRestoreRegion: settings.corruptionRestoreRegion,
      drill: plan.drill !== null,
    },
    facts,
  );
  check(
    'recovery source',
    decided.ok,
    decided.ok
      ? (decided.considered.find((c) => c.usable)?.why ?? 'chosen')
      : `${plan.scenario} of ${plan.database} cannot recover: ${decided.reason}`,
  );

  const restores = decided.ok && (decided.source.type === 'point-in-time' || decided.source.type === 'snapshot');
  if (restores) {
    const quotas = await quiet(client.send(new DescribeAccountAttributesCommand({})));
    const instances = quotas?.AccountQuotas?.find((q) => q.AccountQuotaName === 'DBInstances');
    const full = instances?.Max !== undefined && (instances.Used ?? 0) >= instances.Max;
    check(
      'DB instance quota',
      !full,
      instances?.Max === undefined
        ? `the DB instance quota of ${drRegion} could not be read`
        : `${instances.Used ?? 0} of ${instances.Max} DB instances in ${drRegion} are used${full ? ': raise the quota or remove instances' : ''}`,
    );
    const subnetGroup = env(FAILOVER_ENV.subnetGroup);
    const groups = await quiet(client.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: subnetGroup })));
    check(
      'subnet group',
      (groups?.DBSubnetGroups ?? []).length > 0,
      (groups?.DBSubnetGroups ?? []).length > 0
        ? `${subnetGroup} exists in ${drRegion}`
        : `the subnet group ${subnetGroup} does not exist in ${drRegion}`,
    );
  }

  const pointTime = decided.ok && decided.source.type !== 'promote-replica' ? pointTimeOf(decided.source) : null;
  const lag = decided.ok && decided.source.type === 'promote-replica' ? decided.source.lagSeconds : null;
  const age = pointTime ? (Date.parse(facts.now) - Date.parse(pointTime)) / 1000 : lag;
  if (decided.ok)
    check(
      'recovery point age',
      age === null || age <= entry.rpoSeconds,
      age === null
        ? 'the data loss is not known before the recovery (no lag or point time was read)'
        : `${pointTime ? `the recovery point (${pointTime}) is` : 'the replica lags'} ${formatDuration(Math.max(0, age))} ${pointTime ? 'old' : 'behind'}; the RPO is ${formatDuration(entry.rpoSeconds)}${age > entry.rpoSeconds ? ': more data is lost than the objective allows (recorded; not a reason to stay down)' : ''}`,
      false,
    );

  const failed = checks.filter((c) => c.blocking && !c.ok);
  logger.info('Failover pre-checks', { database: plan.database, scenario: plan.scenario, checks });
  if (failed.length > 0 || !decided.ok)
    throw new FailoverPrecheckFailed(
      `Failover of ${plan.database} (${plan.scenario}) cannot start, nothing was changed: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`,
    );
  const ctx = { targetId: plan.targetId, kind: entry.kind };
  return {
    checkedAt: facts.now,
    checks,
    considered: decided.considered,
    source: decided.source,
    pointTime,
    targetInstance: recoveredInstance(decided.source, ctx),
    currentRecord: record,
    changes: changesOf(decided.source, {
      ...ctx,
      database: plan.database,
      instanceClass: entry.instanceClass,
      recordName: settings.recordName,
      hostedZoneId: settings.hostedZoneId,
      ttl: settings.ttl,
      currentValue: record.value,
      drill: plan.drill !== null,
    }),
  };
}

function pointTimeOf(source: PrecheckOutcome['source']): string | null {
  return source.type === 'point-in-time' || source.type === 'snapshot' ? source.time : null;
}

/** The record as Route 53 has it: its CNAME value, null when there is none; undefined when the zone cannot be read. */
export async function readRecord(plan: FailoverPlan): Promise<DnsRecord | undefined> {
  const { hostedZoneId, recordName, ttl } = plan.settings;
  const name = recordName.endsWith('.') ? recordName : `${recordName}.`;
  const out = await quiet(
    route53().send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: hostedZoneId,
        StartRecordName: name,
        StartRecordType: 'CNAME',
        MaxItems: 1,
      }),
    ),
  );
  if (!out) return undefined;
  const found = (out.ResourceRecordSets ?? []).find((r) => r.Name === name && r.Type === 'CNAME');
  return {
    name: recordName,
    type: 'CNAME',
    ttl: found?.TTL ?? ttl,
    value: found?.ResourceRecords?.[0]?.Value?.replace(/\.$/, '') ?? null,
  };
}

async function readFacts(plan: FailoverPlan, client: RDSClient, drRegion: string): Promise<RecoveryFacts> {
  const { entry } = plan;
  const continuous = entry.continuous;
  const now = new Date().toISOString();
  const ransomware = plan.scenario === 'ransomware';
  const automatedBackups: Array<RecoveryFacts['automatedBackups'][number]> = [];
  const facts: {
    -readonly [K in keyof RecoveryFacts]: RecoveryFacts[K];
  } = {
    now,
    drRegion,
    replica: null,
    globalCluster: null,
    automatedBackups,
    drCopies: [],
    vaultCopies: null,
  };
  // A ransomware recovery reads nothing the compromised account could have changed.
  if (ransomware) {
    const vault = await vaultCopies(plan, drRegion);
    facts.vaultCopies = vault.copies;
    if (vault.problem) facts.vaultProblem = vault.problem;
    return facts;
  }
  if (continuous?.mode === 'read-replica') {
    const found = await quiet(
      client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: continuous.replica })),
    );
    const replica = found?.DBInstances?.[0];
    if (replica)
      facts.replica = {
        id: continuous.replica,
        status: replica.DBInstanceStatus ?? 'unknown',
        isReplica: !!replica.ReadReplicaSourceDBInstanceIdentifier,
        lagSeconds: null,
      };
  }
  if (continuous?.mode === 'global-database') {
    const [global, secondary] = await Promise.all([
      quiet(client.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: continuous.globalCluster }))),
      quiet(client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: continuous.secondaryCluster }))),
    ]);
    const cluster = secondary?.DBClusters?.[0];
    const members = global?.GlobalClusters?.[0]?.GlobalClusterMembers ?? [];
    if (cluster)
      facts.globalCluster = {
        id: continuous.secondaryCluster,
        secondaryArn: cluster.DBClusterArn ?? '',
        secondaryStatus: cluster.Status ?? 'unknown',
        isMember: members.some((m) => m.DBClusterArn === cluster.DBClusterArn),
      };
  }
  const backupRegions =
    plan.scenario === 'database-corruption' && plan.settings.corruptionRestoreRegion === 'primary'
      ? [plan.settings.primaryRegion]
      : [drRegion];
  if (entry.kind === 'instance')
    for (const region of backupRegions) {
      const out = await quiet(
        rds(region).send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: entry.identifier })),
      );
      for (const b of out?.DBInstanceAutomatedBackups ?? []) {
        const window = b.RestoreWindow;
        if (!window?.EarliestTime || !window.LatestTime) continue;
        // In the DR region only replicated backups count (a point-in-time restore from there needs their ARN).
        if (region === drRegion && !b.DBInstanceAutomatedBackupsArn) continue;
        automatedBackups.push({
          arn: region === drRegion ? (b.DBInstanceAutomatedBackupsArn ?? null) : null,
          sourceIdentifier: entry.identifier,
          region,
          earliest: window.EarliestTime.toISOString(),
          latest: window.LatestTime.toISOString(),
        });
      }
    }
  facts.drCopies = (await listManualSnapshots(client, entry.kind))
    .filter((s) => isOwnVerified(s, plan, EVIDENCE.copyVerified))
    .map((s) => ({ id: s.id, arn: s.arn, time: timeOf(s) }));
  return facts;
}

const timeOf = (s: Snapshot) => s.tags[TAG.scheduledTime] ?? s.createdAt ?? '';

/** A recovery point this installation made of the plan's database, with the evidence tag a verification wrote. */
function isOwnVerified(s: Snapshot, plan: FailoverPlan, evidence: string): boolean {
  return (
    s.status === 'available' &&
    s.tags[TAG.managedBy] === MANAGED_BY &&
    s.tags[TAG.database] === plan.database &&
    s.tags[TAG.installation] === env(ENV.installation) &&
    s.tags[TAG.verified] === evidence &&
    s.source.toLowerCase() === plan.entry.identifier.toLowerCase()
  );
}

/**
 * The vault account's verified copies, read through the vault's reader role (it may only list them and share one
 * with this account); never through anything of this account's.
 */
async function vaultCopies(
  plan: FailoverPlan,
  region: string,
): Promise<{ copies: RecoveryFacts['vaultCopies']; problem?: string }> {
  const roleArn = optionalEnv(FAILOVER_ENV.vaultReaderRoleArn);
  if (!roleArn)
    return {
      copies: null,
      problem:
        'this installation has no vault reader role (configure vault, and deploy the vault stack with the failover reader)',
    };
  try {
    const snapshots = await listManualSnapshots(rdsAs(roleArn, region), plan.entry.kind);
    return {
      copies: snapshots
        .filter((s) => isOwnVerified(s, plan, EVIDENCE.copyVerified))
        .map((s) => ({ id: s.id, arn: s.arn, time: timeOf(s) })),
    };
  } catch (error) {
    return { copies: null, problem: `the vault copies could not be read: ${(error as Error).message}` };
  }
}

export const handler = lifelineHandler(precheck);
