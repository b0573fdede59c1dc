import { type CfnResource, type Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { InventoryReports } from '../state-machines/protected-bucket';

/**
 * cdk-nag findings Lifeline accepts, each with the reason it is right here. Wildcard resources are
 * acknowledged one by one, and only when the pattern is one of the reasons below; any other wildcard
 * still fails synth.
 */
const wildcardReasons = (name: string): ReadonlyArray<{ readonly pattern: RegExp; readonly reason: string }> => [
  {
    pattern: /^Resource::<[A-Za-z0-9]+\.Arn>:\*$/,
    reason: 'Invoking a Lifeline function by any of its versions; the function itself is named.',
  },
  {
    pattern: new RegExp(`:(snapshot|cluster-snapshot):${name}-\\*$`),
    reason: `Limited to snapshots named with the ${name}- prefix, the only ones this installation creates, tags or deletes.`,
  },
  {
    pattern: /:(snapshot|cluster-snapshot|db|cluster|og|pg|cluster-pg|subgrp|secgrp):\*$/,
    reason:
      'Snapshots, databases and groups of the region whose names Lifeline does not choose (recovery points to find or restore from, the quota to count); reading them or restoring from them changes none of them.',
  },
  {
    pattern: /:auto-backup:\*$/,
    reason:
      'Automated backups replicated to the DR region have ids RDS assigns; they are only read, to restore a drill to a point in time.',
  },
  {
    pattern: new RegExp(`:(db|cluster):${name}-drill-\\*$`),
    reason: `Limited to drill databases named ${name}-drill-*, the only databases this installation restores and deletes (deletion also requires the lifeline:drill tag).`,
  },
  {
    pattern: new RegExp(`:cluster-snapshot:${name}-(drill|failover)-\\*$`),
    reason: `DeleteDBCluster also authorizes on the final cluster snapshot it would create; Lifeline deletes drill clusters (of restore drills and failover drills) without one (SkipFinalSnapshot), so this only allows a final snapshot named ${name}-drill-* or ${name}-failover-*.`,
  },
  {
    pattern: /:secretsmanager:[a-z0-9-]+:.+:secret:[A-Za-z0-9/_+=.@-]+-\?{6}$/,
    reason:
      'The drill credentials secret named in the config; Secrets Manager appends a hyphen and 6 random characters to every secret ARN, which ?????? matches and nothing longer.',
  },
  {
    pattern: new RegExp(`:states:[^:]+:[^:]+:execution:(${name}-(backup|drill|failover)|<[A-Za-z0-9]+\\.Name>):\\*$`),
    reason: `Executions of this installation's own backup, drill and failover workflows, read (DescribeExecution) to count their outcomes, or whether a failover drill's execution still runs before its copy is swept; Step Functions names each execution when it starts.`,
  },
  {
    pattern: /^Resource::<Reports[A-Za-z0-9]*\.Arn>\/drills\/[a-z0-9-]+\/\*$/,
    reason:
      "One database's drill reports in Lifeline's own reports bucket (drills/<database>/<date>/<drill>.json and .html), where the report function writes each drill's evidence.",
  },
  {
    pattern: /^Resource::<Reports[A-Za-z0-9]*\.Arn>\/evidence\/(week|month)\/\*$/,
    reason:
      "The week's or month's evidence roll-ups in Lifeline's own reports bucket (evidence/<week|month>/<label>.json and .html), which the evidence function writes.",
  },
  {
    pattern: /^Resource::<Bucket[A-Za-z0-9]+Bucket[0-9A-F]{8}\.Arn>\/\*$/,
    reason:
      'Every object version of the one protected bucket this role replicates: S3 replication reads each version it copies (and its retention and legal hold).',
  },
  {
    pattern: /^Resource::<Bucket[A-Za-z0-9]+Bucket[0-9A-F]{8}\.Arn>\/exports\/\*$/,
    reason:
      'The exports/ prefix of one protected bucket, where RDS writes each snapshot export as Parquet objects whose names RDS chooses (under exports/<database>/<export task id>/).',
  },
  {
    pattern: /^Resource::<Bucket[A-Za-z0-9]+Bucket[0-9A-F]{8}\.Arn>\/records\/exports\/\*$/,
    reason:
      'The export records of one protected bucket (records/exports/<database>/<export task id>.json), one written per export.',
  },
  {
    pattern: new RegExp(
      `^Resource::arn:<AWS::Partition>:s3:::${name}-[a-z0-9-]+-(\\d{12}|<AWS::AccountId>)-[a-z0-9-]+/\\*$`,
    ),
    reason: `The objects of one protected bucket's replica in the DR region (named ${name}-<id>-<account>-<region>), which S3 replication writes.`,
  },
  {
    pattern: new RegExp(`:(db|cluster):${name}-failover-\\*$`),
    reason: `Limited to the replacement databases a failover restores, named ${name}-failover-<database>-<execution>; only a failover drill's cleanup (or the sweeper of drills whose execution ended without it) deletes one, and only one tagged lifeline:failover-drill (a drill's copy).`,
  },
  {
    pattern: new RegExp(`:(snapshot|cluster-snapshot):${name}-failover-\\*$`),
    reason: `Limited to the copy a ransomware failover makes of a vault copy, under the DR key, to restore from (named ${name}-failover-<database>-<execution>, as the restore); a failover never deletes one.`,
  },
  {
    pattern: /:global-cluster:\*$/,
    reason:
      'Global clusters are only described (DescribeGlobalClusters), to learn whether the configured secondary is still a member; failing one over is granted on the configured global cluster alone.',
  },
  {
    pattern: /^Resource::arn:<AWS::Partition>:route53:::change\/\*$/,
    reason:
      'Route 53 change ids are assigned by Route 53 when the failover record is changed; GetChange only reads whether that change is in sync.',
  },
  {
    pattern: /^Resource::<Reports[A-Za-z0-9]*\.Arn>\/failovers\/[a-z0-9-]+\/\*$/,
    reason:
      "One database's failover records in Lifeline's own reports bucket (failovers/<database>/<date>/<execution>.json and .html).",
  },
  {
    pattern: /^Resource::<Replica[A-Za-z0-9]+Bucket[0-9A-F]{8}\.Arn>\/dumps\/[a-z0-9-]+\/\*$/,
    reason:
      "One database's archive dumps (dumps/<database>/<yyyy>/<mm>/<name>, keys chosen per drill) in its archive bucket's replica: the dump task only puts new objects there.",
  },
  {
    pattern: new RegExp(`:ecs:[^:]+:[^:]+:task-definition/${name}-archive-dump-[a-z0-9-]+:\\*$`),
    reason:
      'Every revision of one archive dump task definition: each deploy that changes it registers a new revision, and the drill runs the current one.',
  },
  {
    pattern: new RegExp(`:ecs:[^:]+:[^:]+:task/${name}-archive-dumps/\\*$`),
    reason:
      'The tasks of the archive dump cluster only: ECS names each task when it starts, and the drill watches and stops the one it started.',
  },
  {
    pattern: /^Resource::<Inventory[A-Za-z0-9]*\.Arn>\/verification\/\*\/(runs\/\*|summaries\/\*|files\.json)$/,
    reason:
      "The replication verification's work area in the region's inventory bucket: each run writes and reads its own files under verification/<bucket>/<run>/ (expired after 7 days).",
  },
  {
    pattern: new RegExp(
      `^Resource::arn:<AWS::Partition>:s3:::${name}-inventory-(\\d{12}|<AWS::AccountId>)-[a-z0-9-]+/inventory/[a-z0-9.-]+/lifeline-verification/\\*$`,
    ),
    reason:
      'The inventories S3 Inventory delivers for one protected bucket (or its replica), which the replication verification reads; S3 names each file.',
  },
  {
    pattern: /^Resource::<Reports[A-Za-z0-9]*\.Arn>\/replication\/\*$/,
    reason:
      "The replication verification reports in Lifeline's own reports bucket (replication/<bucket>/<date>/<run>.json).",
  },
  {
    pattern: /^Resource::<Reports[A-Za-z0-9]*\.Arn>\/replication\/[a-z0-9-]+\/\*$/,
    reason:
      "One bucket's replication verification reports in Lifeline's own reports bucket (replication/<bucket>/<date>/<run>.json), which the evidence report reads.",
  },
  {
    pattern: /^Resource::<Replica[A-Za-z0-9]+Bucket[0-9A-F]{8}\.Arn>\/records\/exports\/[a-z0-9-]+\/\*$/,
    reason:
      "One database's export records (records/exports/<database>/<export task id>.json) in its archive bucket's replica, which the evidence report reads.",
  },
  {
    pattern: /^Resource::<Replica[A-Za-z0-9]+Bucket[0-9A-F]{8}\.Arn>\/dumps\/[a-z0-9-]+\/\*\.manifest\.json$/,
    reason:
      "The manifests of one database's archive dumps (dumps/<database>/<yyyy>/<mm>/<name>.manifest.json) in its archive bucket's replica, which the evidence report reads; not the dumps.",
  },
  {
    pattern:
      /^Resource::arn:<AWS::Partition>:states:[^:]+:[^:]+:execution:\{"Fn::Select":\[6,\{"Fn::Split":\[":",\{"Ref":"[A-Za-z0-9]*ReplicationVerificationStateMachine[0-9A-F]{8}"\}\]\}\]\}(\/\*)?:\*$/,
    reason:
      "The child executions of the replication verification's own Distributed Maps, which Step Functions names (CDK's grant for a Distributed Map).",
  },
];

/** Wildcards in actions that CDK grants use for one operation's variants on one named resource. */
const ACTION_REASONS: ReadonlyArray<{ readonly pattern: RegExp; readonly reason: string }> = [
  {
    pattern: /^kms:(GenerateDataKey|ReEncrypt)\*$/,
    reason: 'The variants of one KMS operation, granted by CDK on one Lifeline key only.',
  },
];

/** Actions AWS does not scope to a resource; a `*` for them alone is the only way to grant them. */
const UNSCOPED_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'rds:DescribeDBEngineVersions',
  'rds:DescribeOrderableDBInstanceOptions',
  'rds:DescribeAccountAttributes',
  // The copy-age probe's metrics; its statement is limited by the cloudwatch:namespace condition instead.
  'cloudwatch:PutMetricData',
  // No resource type: the task token names the task. Only the incident functions hold the ladder's tokens.
  'states:SendTaskSuccess',
  // The same for the failover approval: only the failover command function answers it.
  'states:SendTaskFailure',
  'rds:StartExportTask',
  'rds:DescribeExportTasks',
  // No resource type: the archive dump task's execution role logs in to ECR to pull its image.
  'ecr:GetAuthorizationToken',
]);

/** Acknowledges the findings above in `stack`, for the installation named `name` (its resources' prefix). */
export function suppressJustifiedFindings(stack: Stack, name = 'lifeline'): void {
  const reasons = wildcardReasons(name);
  for (const construct of stack.node.findAll()) {
    // The execution-ended rules' dead-letter queues are where EventBridge keeps events it could not deliver; a
    // dead-letter queue needs no dead-letter queue of its own.
    if (construct instanceof sqs.Queue && construct.node.id === 'DeadLetters')
      Validations.of(construct.node.defaultChild as CfnResource).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: "The dead-letter queue of an EventBridge rule's target: it is itself the DLQ.",
      });
    if (construct instanceof sqs.Queue && construct.node.id === 'Undelivered')
      Validations.of(construct.node.defaultChild as CfnResource).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: "The incident intake's on-failure destination: it is itself where failed deliveries are kept.",
      });
    // The archive dump task's environment holds names only (engine, bucket, key ARN, paths); the credentials come
    // from Secrets Manager through the task definition's secrets.
    if (construct instanceof ecs.FargateTaskDefinition)
      Validations.of(construct.node.defaultChild as CfnResource).acknowledge({
        id: 'AwsSolutions-ECS2',
        reason:
          'Only names, no secrets: engine, database, bucket, key ARN and paths; the database credentials are injected from Secrets Manager.',
      });
    // The inventory bucket holds what S3 Inventory and the verification write there, both logged by their own means.
    if (construct instanceof InventoryReports)
      Validations.of(construct.bucket.node.defaultChild as CfnResource).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          "Holds only S3 Inventory reports and the replication verification's work files; the protected buckets it lists are access-logged.",
      });
    // The drill subnets are in the zones the config names (drAvailabilityZones) on purpose: Fn::GetAZs lists only
    // zones with a default subnet and can reorder, which would replace a subnet with the same CIDR.
    if (construct instanceof ec2.Subnet)
      Validations.of(construct.node.defaultChild as CfnResource).acknowledge({
        id: 'CloudFormation-Validate::W3010',
        reason: 'Zones named in the config (drAvailabilityZones), so the drill subnets never move.',
      });
  }
  for (const policy of stack.node.findAll()) {
    if (!(policy instanceof iam.CfnPolicy)) continue;
    const document = stack.resolve(policy.policyDocument) as {
      Statement: Array<{
        Action: string | string[];
        Resource: unknown;
        Condition?: Record<string, Record<string, unknown>>;
      }>;
    };
    for (const statement of document.Statement) {
      const actions = ([] as string[]).concat(statement.Action);
      const resources = ([] as unknown[]).concat(statement.Resource);
      for (const action of actions.filter((a) => a.includes('*'))) {
        const reason = ACTION_REASONS.find((r) => r.pattern.test(action));
        if (reason && !resources.includes('*')) acknowledge(policy, `Action::${action}`, reason.reason);
      }
      const aliasBound = JSON.stringify(statement.Condition ?? {}).includes('kms:ResourceAliases');
      for (const resource of resources) {
        const finding = `Resource::${render(resource)}`;
        if (finding === 'Resource::*') {
          if (actions.every((a) => UNSCOPED_ACTIONS.has(a))) {
            acknowledge(policy, finding, `${actions.join(', ')} cannot be scoped to a resource.`);
          }
          continue;
        }
        if (aliasBound && /:kms:[a-z0-9-]+:[0-9<>A-Za-z:]+:key\/\*$/.test(finding)) {
          acknowledge(
            policy,
            finding,
            "Only the key whose alias is Lifeline's (kms:ResourceAliases condition); the key id is not known before the DR stack is deployed.",
          );
          continue;
        }
        const match = reasons.find((r) => r.pattern.test(finding));
        if (match) acknowledge(policy, finding, match.reason);
      }
    }
  }
}

function acknowledge(resource: CfnResource, finding: string, reason: string): void {
  Validations.of(resource).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
}

/** Renders a resolved ARN the way cdk-nag names it in a finding: `<Logical.Attr>`, `<AWS::Region>`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('Ref' in v) return `<${v.Ref}>`;
    if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in v) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}
