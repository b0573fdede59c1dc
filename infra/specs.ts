import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { ContinuouslyProtectedDatabase } from '../state-machines/continuous-protection';
import type { DrillSpec, ProtectedDatabase } from '../state-machines/databases';
import type { EscalationLevelsProps } from '../state-machines/escalation';
import type { ProtectedBucketProps } from '../state-machines/protected-bucket';
import { protectedBucketName } from './config/buckets';
import { parseSchedule } from './config/schedule';
import type { BucketConfig, ConfigDuration, DatabaseConfig, EscalationConfig, LifelineConfig } from './config/schema';
import { namesOf } from './names';

const seconds = (duration: ConfigDuration) => Duration.seconds(duration.seconds);

/** A configured database as the backup workflow takes it. */
export function protectedDatabase(scope: Construct, db: DatabaseConfig): ProtectedDatabase {
  return {
    id: db.id,
    identifier: db.identifier,
    kind: db.kind,
    engine: db.engine,
    // The drills and the copy-age probe take the same databases in one stack: one reference to the key.
    sourceKey: db.sourceKey
      ? ((scope.node.tryFindChild(`SourceKey-${db.id}`) as kms.IKey | undefined) ??
        kms.Key.fromKeyArn(scope, `SourceKey-${db.id}`, db.sourceKey))
      : undefined,
    objectives: { rpo: seconds(db.objectives.rpo), rto: seconds(db.objectives.rto) },
    retention: retentionOf(db.retention),
    timeZone: db.backup.timeZone,
    copyToDr: db.backup.copyToDr,
    copyToVault: db.backup.copyToVault,
  };
}

/** The GFS counts as configured, and the sub-daily period in seconds only when one is configured. */
export function retentionOf({ keepAllFor, ...counts }: DatabaseConfig['retention']): ProtectedDatabase['retention'] {
  return keepAllFor ? { ...counts, keepAllForSeconds: keepAllFor.seconds } : counts;
}

export function protectedDatabases(scope: Construct, config: LifelineConfig): ProtectedDatabase[] {
  return config.databases.map((db) => protectedDatabase(scope, db));
}

/**
 * The databases as the copy-age probe watches their DR copies. A continuously protected database may have an RPO
 * shorter than its backup interval (the continuous probe alarms on that RPO): its snapshots are held to the interval
 * instead, so that a copy-age alarm means the snapshots stopped, not that the RPO is shorter than they can meet.
 */
export function copyAgeDatabases(scope: Construct, config: LifelineConfig): ProtectedDatabase[] {
  return config.databases.map((db) => {
    const spec = protectedDatabase(scope, db);
    const every = parseSchedule(db.backup.schedule, db.backup.timeZone);
    if (!db.continuous || typeof every === 'string' || every.maxIntervalSeconds <= db.objectives.rpo.seconds)
      return spec;
    return { ...spec, objectives: { ...spec.objectives, rpo: Duration.seconds(every.maxIntervalSeconds) } };
  });
}

/** The databases configured with `continuous`, as the continuous protection takes them. */
export function continuousDatabases(scope: Construct, config: LifelineConfig): ContinuouslyProtectedDatabase[] {
  return config.databases.flatMap((db) =>
    db.continuous ? [{ ...protectedDatabase(scope, db), continuous: db.continuous }] : [],
  );
}

/** The ARN of a database's DB instance in the primary region (in the stack's partition and account). */
function sourceInstanceArn(scope: Construct, config: LifelineConfig, db: DatabaseConfig): string {
  return Stack.of(scope).formatArn({
    service: 'rds',
    region: config.primaryRegion,
    resource: 'db',
    resourceName: db.identifier,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** The configured drills as the drill workflow takes them; the secrets and keys are referenced, not created. */
export function drillSpecs(scope: Construct, config: LifelineConfig): DrillSpec[] {
  return config.databases.flatMap((db): DrillSpec[] => {
    const drill = db.drill;
    if (!drill) return [];
    const secret = drill.credentialsSecret;
    return [
      {
        database: protectedDatabase(scope, db),
        credentials: secret.startsWith('arn:')
          ? secretsmanager.Secret.fromSecretCompleteArn(scope, `Credentials-${db.id}`, secret)
          : secretsmanager.Secret.fromSecretNameV2(scope, `Credentials-${db.id}`, secret),
        credentialsKey: drill.credentialsSecretKey
          ? kms.Key.fromKeyArn(scope, `CredentialsKey-${db.id}`, drill.credentialsSecretKey)
          : undefined,
        databaseName: drill.databaseName,
        checks: drill.checks,
        timeout: seconds(drill.timeout),
        instanceClass: drill.instanceClass,
        waive: drill.waive,
        timeZone: drill.timeZone,
        ...(db.continuous?.mode === 'automated-backup-replication'
          ? { pointInTimeSource: sourceInstanceArn(scope, config, db) }
          : {}),
      },
    ];
  });
}

/** The configured escalation levels as the topics take them: one per level, its contacts, where severities start. */
export function escalationLevels(
  config: LifelineConfig & { escalation: EscalationConfig },
  key: kms.IKey,
): EscalationLevelsProps {
  return {
    installation: config.name,
    key,
    levels: config.escalation.levels.map((level) => ({
      name: level.name,
      after: seconds(level.after),
      contacts: level.notify,
    })),
    startAt: config.escalation.severities,
  };
}

/**
 * A configured bucket as the ProtectedBucket construct takes it, on one side: the source in the primary region
 * (replicating to the DR replica, which it names, since the DR stack is deployed first) or that replica. Both names
 * are `<name>-<id>-<account>-<region>`, so neither stack refers to the other's resources.
 */
export function protectedBucketProps(
  scope: Construct,
  config: LifelineConfig,
  bucket: BucketConfig,
  side: 'source' | 'replica',
  key: kms.IKey,
): ProtectedBucketProps {
  const stack = Stack.of(scope);
  const replicaName = protectedBucketName(config.name, bucket.id, stack.account, config.drRegion);
  const common = {
    key,
    lifecycle: bucket.lifecycle.map((tier) => ({
      after: seconds(tier.after),
      storageClass: new s3.StorageClass(tier.storageClass),
    })),
    expireAfter: seconds(bucket.expireAfter),
    objectLock: bucket.objectLock && { mode: bucket.objectLock.mode, retention: seconds(bucket.objectLock.retention) },
  };
  if (side === 'replica') return { ...common, bucketName: replicaName };
  return {
    ...common,
    bucketName: bucket.bucketName ?? protectedBucketName(config.name, bucket.id, stack.account, config.primaryRegion),
    replicateTo: bucket.replicate
      ? {
          bucket: s3.Bucket.fromBucketAttributes(scope, `Replica-${bucket.id}`, {
            bucketName: replicaName,
            region: config.drRegion,
          }),
          region: config.drRegion,
          keyAliasArn: `arn:${stack.partition}:kms:${config.drRegion}:${stack.account}:${namesOf(config).keyAlias('dr')}`,
        }
      : undefined,
  };
}
