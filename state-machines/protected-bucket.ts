import { Aws, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { INVENTORY_ID, INVENTORY_PREFIX, VERIFICATION_PREFIX } from '../functions/archive/contracts';

/** A storage class objects move to, a number of days after they were written. */
export interface LifecycleTier {
  readonly after: Duration;
  readonly storageClass: s3.StorageClass;
}

/**
 * The seeds' tiers: Standard-IA at 30 days, Glacier Flexible Retrieval at 90, Deep Archive at 180 (each at or past
 * the minimum storage duration of the class before it, so no early-deletion charge).
 */
export const DEFAULT_TIERS: readonly LifecycleTier[] = [
  { after: Duration.days(30), storageClass: s3.StorageClass.INFREQUENT_ACCESS },
  { after: Duration.days(90), storageClass: s3.StorageClass.GLACIER },
  { after: Duration.days(180), storageClass: s3.StorageClass.DEEP_ARCHIVE },
];

/** Seven years, the seeds' retention. */
export const DEFAULT_EXPIRY = Duration.days(2555);

/** The default Object Lock retention of every new object version. */
export interface ObjectLockDefault {
  /**
   * GOVERNANCE: a principal with s3:BypassGovernanceRetention may still delete or shorten. COMPLIANCE: nobody can,
   * not the account's root user, until the retention ends; and a bucket holding locked versions cannot be deleted.
   * Irreversible for every version written while it is on.
   */
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  /** Whole days. */
  readonly retention: Duration;
}

/** The bucket in another region that every object version is replicated to. */
export interface ReplicaDestination {
  /** The destination bucket (versioned, and Object Lock enabled when this bucket's is), imported by name and region. */
  readonly bucket: s3.IBucket;
  /** The destination's region, where its key is used. */
  readonly region: string;
  /**
   * The key replicas are encrypted under, as an alias ARN in `region` (arn:aws:kms:<region>:<account>:alias/<name>):
   * its key id is not known before the destination's stack is deployed. S3 accepts a key ARN or an alias ARN; an
   * alias resolves in the requester's account, which here is the destination's own.
   */
  readonly keyAliasArn: string;
}

export interface ProtectedBucketProps {
  /** @default - a name CloudFormation generates */
  readonly bucketName?: string;
  /** The rotating customer-managed key of SSE-KMS (with an S3 Bucket Key, so KMS is called per bucket, not per object). */
  readonly key: kms.IKey;
  /** Storage tiers, in order. Noncurrent versions move down the same tiers, counted from when they were replaced. @default DEFAULT_TIERS */
  readonly lifecycle?: readonly LifecycleTier[];
  /** Current versions expire (a delete marker) and noncurrent ones are deleted this long after. @default DEFAULT_EXPIRY */
  readonly expireAfter?: Duration;
  /** @default - no Object Lock */
  readonly objectLock?: ObjectLockDefault;
  /** @default - not replicated */
  readonly replicateTo?: ReplicaDestination;
  /** Where S3 writes the server access logs. @default - a new bucket (SSE-S3, kept as long as `expireAfter`) */
  readonly accessLogs?: s3.IBucket;
  /**
   * Where S3 Inventory delivers the bucket's daily inventory (CSV, every version, the fields replication
   * verification reads). Must be in the bucket's region. @default - no inventory
   */
  readonly inventory?: InventoryReports;
}

/** The fields of each inventory besides key, version id, IsLatest and IsDeleteMarker (which every version list has). */
export const INVENTORY_FIELDS = [
  'Size',
  'LastModifiedDate',
  'ETag',
  'ChecksumAlgorithm',
  'ReplicationStatus',
  'StorageClass',
  'EncryptionStatus',
  'ObjectLockMode',
  'ObjectLockRetainUntilDate',
];

export interface InventoryReportsProps {
  /** @default - a name CloudFormation generates */
  readonly bucketName?: string;
  /** The region's key: SSE-KMS of the reports (S3 Inventory uses it through its service principal). */
  readonly key: kms.Key;
  /** How long inventories are kept. @default Duration.days(14) */
  readonly keepFor?: Duration;
}

/**
 * The bucket S3 Inventory delivers this region's inventories to: SSE-KMS under the region's key, public access
 * blocked, TLS only, no ACLs. S3 writes into it as `s3.amazonaws.com`, only for the buckets `allowInventoryOf`
 * names (aws:SourceArn) in this account (aws:SourceAccount), and may use the key only for those. It also holds
 * the replication verification's work area (`verification/`), expired after 7 days.
 */
export class InventoryReports extends Construct {
  readonly bucket: s3.Bucket;
  private readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: InventoryReportsProps) {
    super(scope, id);
    this.key = props.key;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        { id: 'Inventories', prefix: `${INVENTORY_PREFIX}/`, expiration: props.keepFor ?? Duration.days(14) },
        { id: 'VerificationRuns', prefix: VERIFICATION_PREFIX, expiration: Duration.days(7) },
        {
          id: 'Versions',
          noncurrentVersionExpiration: Duration.days(1),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Lets S3 Inventory deliver `source`'s inventory here (S3 User Guide, "Configuring Amazon S3 Inventory": the
   * destination's policy lets s3.amazonaws.com put objects, for the source bucket and account; with SSE-KMS, the
   * key lets it generate data keys under the same conditions).
   */
  allowInventoryOf(source: s3.IBucket, sid: string, sourceName?: string): void {
    const stack = Stack.of(this);
    const conditions = {
      ArnLike: { 'aws:SourceArn': source.bucketArn },
      StringEquals: { 'aws:SourceAccount': stack.account },
    };
    // The source bucket is encrypted under the same key: the key policy names it by its name, as a reference to the
    // bucket would make the key depend on the bucket that depends on it. A generated name is not known: any bucket
    // of this account, then.
    const keyConditions = {
      ...conditions,
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:s3:::${sourceName ?? '*'}` },
    };
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `InventoryOf${sid}`,
        principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${INVENTORY_PREFIX}/*`)],
        conditions: {
          ...conditions,
          StringEquals: { ...conditions.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `InventoryOf${sid}`,
        principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
        actions: ['kms:GenerateDataKey'],
        resources: ['*'],
        conditions: keyConditions,
      }),
    );
  }
}

/**
 * A bucket for recovery data: versioned, SSE-KMS under `key`, public access blocked, TLS only, server access logs,
 * optional Object Lock, lifecycle tiers, incomplete multipart uploads aborted after 7 days, and optionally replicated
 * to a bucket in another region with Replication Time Control (15 minutes) and replication metrics. Retained when
 * its stack is deleted.
 */
export class ProtectedBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.IBucket;
  /** The role S3 replicates with; only with `replicateTo`. */
  readonly replicationRole?: iam.Role;

  private readonly bucketNameGiven?: string;

  constructor(scope: Construct, id: string, props: ProtectedBucketProps) {
    super(scope, id);
    this.bucketNameGiven = props.bucketName;
    const expireAfter = props.expireAfter ?? DEFAULT_EXPIRY;
    const tiers = props.lifecycle ?? DEFAULT_TIERS;
    // Target buckets of server access logging support SSE-S3 default encryption only, and no Object Lock
    // (S3 User Guide, "Enabling Amazon S3 server access logging" and "Object Lock considerations").
    this.accessLogs =
      props.accessLogs ??
      new s3.Bucket(this, 'AccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
        lifecycleRules: [
          {
            expiration: expireAfter,
            noncurrentVersionExpiration: Duration.days(30),
            abortIncompleteMultipartUploadAfter: Duration.days(7),
          },
        ],
        removalPolicy: RemovalPolicy.RETAIN,
      });
    const lock = props.objectLock;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      objectLockEnabled: lock !== undefined,
      objectLockDefaultRetention: lock && objectLockRetention(lock),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: `${id}/`,
      lifecycleRules: [
        {
          id: 'Tiers',
          transitions: tiers.map((tier) => ({ storageClass: tier.storageClass, transitionAfter: tier.after })),
          noncurrentVersionTransitions: tiers.map((tier) => ({
            storageClass: tier.storageClass,
            transitionAfter: tier.after,
          })),
          expiration: expireAfter,
          noncurrentVersionExpiration: expireAfter,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.replicateTo) this.replicationRole = this.replicate(props.key, props.replicateTo);
    if (props.inventory) this.inventory(props.inventory, id);
  }

  /** A daily CSV inventory of every version, with what replication verification compares. */
  private inventory(reports: InventoryReports, id: string): void {
    if (!Token.isUnresolved(reports.bucket.stack.region) && reports.bucket.stack.region !== Stack.of(this).region)
      throw new Error(
        `${this.node.path}: S3 Inventory delivers only to a bucket in the same region (${Stack.of(this).region}), not ${reports.bucket.stack.region}`,
      );
    reports.allowInventoryOf(this.bucket, id.replace(/[^A-Za-z0-9]/g, ''), this.bucketNameGiven);
    const cfn = this.bucket.node.defaultChild as s3.CfnBucket;
    cfn.inventoryConfigurations = [
      {
        id: INVENTORY_ID,
        enabled: true,
        includedObjectVersions: 'All',
        scheduleFrequency: 'Daily',
        optionalFields: INVENTORY_FIELDS,
        destination: {
          bucketArn: reports.bucket.bucketArn,
          bucketAccountId: Stack.of(this).account,
          format: 'CSV',
          prefix: INVENTORY_PREFIX,
        },
      },
    ];
  }

  /**
   * Replication of every version to `to`, by a role that may read only this bucket and write only `to`, decrypt only
   * under `key` through S3 here and encrypt only under `to`'s key through S3 there. Delete markers are not replicated:
   * a delete in this bucket (by a person or by expiry) leaves the replica's current version in place, so the replica
   * is the copy that survives a mistaken or malicious delete here; the replica expires by its own lifecycle.
   */
  private replicate(key: kms.IKey, to: ReplicaDestination): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'ReplicationRole', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: `S3 replication of ${this.node.path} to ${to.region}`,
    });
    const source = this.bucket;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        resources: [source.bucketArn],
      }),
    );
    // Object Lock replication also reads each version's retention and legal hold (S3 User Guide, "Object Lock
    // considerations": using Object Lock with S3 Replication).
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          's3:GetObjectVersionForReplication',
          's3:GetObjectVersionAcl',
          's3:GetObjectVersionTagging',
          's3:GetObjectRetention',
          's3:GetObjectLegalHold',
        ],
        resources: [source.arnForObjects('*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
        resources: [to.bucket.arnForObjects('*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.${Aws.URL_SUFFIX}` } },
      }),
    );
    const aliasName = to.keyAliasArn.replace(/^arn:[^:]+:kms:[^:]+:[^:]+:/, '');
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Encrypt'],
        resources: [stack.formatArn({ service: 'kms', region: to.region, resource: 'key', resourceName: '*' })],
        conditions: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': aliasName },
          StringEquals: { 'kms:ViaService': `s3.${to.region}.${Aws.URL_SUFFIX}` },
        },
      }),
    );
    const cfn = this.bucket.node.defaultChild as s3.CfnBucket;
    cfn.replicationConfiguration = {
      role: role.roleArn,
      rules: [
        {
          id: `To-${to.region}`,
          status: 'Enabled',
          priority: 0,
          filter: { prefix: '' },
          deleteMarkerReplication: { status: 'Disabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: to.bucket.bucketArn,
            encryptionConfiguration: { replicaKmsKeyId: to.keyAliasArn },
            replicationTime: { status: 'Enabled', time: { minutes: 15 } },
            metrics: { status: 'Enabled', eventThreshold: { minutes: 15 } },
          },
        },
      ],
    };
    return role;
  }
}

function objectLockRetention(lock: ObjectLockDefault): s3.ObjectLockRetention {
  const days = lock.retention.toDays({ integral: false });
  if (!Number.isInteger(days) || days < 1)
    throw new Error(`objectLock.retention: expected a whole number of days, at least 1, got ${lock.retention}`);
  const duration = Duration.days(days);
  return lock.mode === 'COMPLIANCE'
    ? s3.ObjectLockRetention.compliance(duration)
    : s3.ObjectLockRetention.governance(duration);
}
