import { Duration, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ALERT_HANDLERS } from '../functions/alerts/contracts';
import { ENV, ERROR, MANAGED_BY, snapshotPrefix, TAG } from '../functions/commons/contracts';
import {
  type ContinuousProtection,
  FAILOVER_DRILL_TAG,
  FAILOVER_ENV,
  FAILOVER_HANDLERS,
  FAILOVER_REJECTED,
  type FailoverCatalogEntry,
  type FailoverSettings,
  failoverDrillRecord,
  type RequestApprovalInput,
} from '../functions/failover/contracts';
import { ALERT_ATTRIBUTE } from '../functions/incidents/contracts';
import { rdsArns } from './arns';
import { executionTimeoutSeconds } from './budget';
import {
  definitionOf,
  FailurePath,
  LAMBDA_SERVICE_RETRY,
  type PollPolicy,
  poll,
  SNS_PUBLISH_RETRY_ERRORS,
  workflowLogs,
} from './common';
import { type DrillSpec, defaultDrillInstanceClass, kindOf } from './databases';
import type { DrillNetwork } from './drill-network';
import { rdsKeyUse } from './keys';
import { at, LambdaStep, type LambdaStepProps, type Payload, renderPayload } from './step';

/** One database that fails over: its drill's checks verify it through the name. */
export interface FailoverDatabase {
  /** The database's drill: its credentials and checks verify the failover, as clients will reach it. */
  readonly drill: DrillSpec;
  /** How it is protected between snapshots, for the recovery sources it offers. @default - snapshots only */
  readonly continuous?: ContinuousProtection;
  /** The class a restored replacement runs on. @default - the drill's instance class */
  readonly instanceClass?: string;
}

/** The vault account a ransomware failover restores from (its copies, in this region). */
export interface FailoverVault {
  /** The vault account (12 digits). */
  readonly account: string;
  /** The role in the vault account that lists the vault copies and shares one with this account. */
  readonly readerRoleName: string;
  /** The names given to the pre-check's and the recovery's roles: the reader role trusts only these. */
  readonly sourceRoleNames: { readonly precheck: string; readonly recover: string };
  /** Alias of the vault key, under which the vault copies are encrypted. */
  readonly keyAlias: string;
}

export interface FailoverWorkflowProps {
  readonly databases: readonly FailoverDatabase[];
  /** The hosted zone of the record clients use. */
  readonly hostedZone: route53.IHostedZone;
  /** The CNAME clients connect to, in `hostedZone`. */
  readonly recordName: string;
  /** The record's TTL. @default Duration.minutes(1) */
  readonly ttl?: Duration;
  /** The production region: read only by a database-corruption restore configured to run there. */
  readonly primaryRegion: string;
  /** Where a database-corruption restore runs. @default 'dr' */
  readonly corruptionRestoreRegion?: 'dr' | 'primary';
  /** How long a failover waits for approval before it stops unchanged. @default Duration.minutes(30) */
  readonly approvalTimeout?: Duration;
  /** Whether a request may waive the approval (`approval: { waive: "reason" }`). @default true */
  readonly approvalWaivable?: boolean;
  /** A Route 53 health check of the old target: DNS is rolled back only while it is healthy. @default - a TCP probe */
  readonly healthCheckId?: string;
  /** The DR region's key: logs, the restored databases' encryption. */
  readonly key: kms.IKey;
  /** How the functions name `key`. @default - the key's ARN */
  readonly keyAlias?: string;
  /** Where approval requests (tagged: the incident sink pages them) and failures go. */
  readonly alerts: sns.ITopic;
  /** The locked bucket the failover records go into. */
  readonly reports: s3.IBucket;
  /** Where the verification runs and, by default, where a restored replacement is placed. */
  readonly network: DrillNetwork;
  /** The installation's name. @default 'lifeline' */
  readonly installation?: string;
  /** How often to look at the recovering database. @default every 15 s, for up to 4 h */
  readonly recoveryPoll?: PollPolicy;
  /** Where a ransomware failover restores from. @default - none: a ransomware failover refuses */
  readonly vault?: FailoverVault;
  /**
   * When the failover drill of each database runs (`drill: true`: a restored copy behind its shadow record
   * `drill-<database>.<recordName>`, then both deleted). @default - no schedule; a drill runs when started
   */
  readonly drillSchedule?: scheduler.ScheduleExpression;
}

/** Every 15 s: the RTO counts, not the transitions. */
export const FAILOVER_RECOVERY_POLL: PollPolicy = {
  interval: Duration.seconds(15),
  backoffRate: 1,
  maxDelay: Duration.seconds(15),
  maxAttempts: 960,
};
const DNS_POLL: PollPolicy = {
  interval: Duration.seconds(10),
  backoffRate: 1,
  maxDelay: Duration.seconds(10),
  maxAttempts: 60,
};
/** Route 53's answers the record switch retries: a change of the zone in progress, throttling. */
const DNS_RETRY_ERRORS = ['PriorRequestNotComplete', 'Throttling', 'ThrottlingException'];

/** The names of what a failover creates: `<installation>-failover-<database>-<8 hex>`. */
export const failoverPrefix = (installation: string) => `${installation}-failover-`;

/**
 * A failover of one database into the DR region, as a runbook: validate, pre-check and plan, ask for approval (unless
 * waived), recover (promote, fail over or restore), switch the Route 53 record, verify through the name, roll DNS back
 * when that fails and the old target still answers, record every step. A dry run stops after the plan.
 */
export class FailoverWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** The function operators approve or reject with: `<installation>-failover-command`. */
  readonly command: LambdaStep<unknown>;
  readonly timeoutSeconds: number;
  /** Deletes, hourly, the copies and shadow records of failover drills whose execution ended without its cleanup. */
  readonly drillSweeper: LambdaStep<Record<string, never>>;

  constructor(scope: Construct, id: string, props: FailoverWorkflowProps) {
    super(scope, id);
    const installation = props.installation ?? 'lifeline';
    const stack = Stack.of(this);
    const zoneArn = `arn:${stack.partition}:route53:::hostedzone/${props.hostedZone.hostedZoneId}`;
    const settings: FailoverSettings = {
      hostedZoneId: props.hostedZone.hostedZoneId,
      recordName: props.recordName,
      ttl: (props.ttl ?? Duration.minutes(1)).toSeconds(),
      primaryRegion: props.primaryRegion,
      corruptionRestoreRegion: props.corruptionRestoreRegion ?? 'dr',
      approvalWaivable: props.approvalWaivable ?? true,
      approvalTimeoutSeconds: (props.approvalTimeout ?? Duration.minutes(30)).toSeconds(),
      healthCheckId: props.healthCheckId ?? null,
    };
    const catalog: Record<string, FailoverCatalogEntry> = Object.fromEntries(
      props.databases.map(({ drill, continuous, instanceClass }) => {
        const db = drill.database;
        return [
          db.id,
          {
            id: db.id,
            kind: kindOf(db),
            identifier: db.identifier,
            engine: db.engine,
            rpoSeconds: db.objectives.rpo.toSeconds(),
            rtoSeconds: db.objectives.rto.toSeconds(),
            continuous: continuous ?? null,
            instanceClass: instanceClass ?? drill.instanceClass ?? defaultDrillInstanceClass(db.engine),
            credentialsSecret: drill.credentials.secretFullArn ?? drill.credentials.secretName,
            databaseName: drill.databaseName,
            checks: drill.checks,
            drillRecordName: failoverDrillRecord(db.id, props.recordName),
          },
        ];
      }),
    );
    const commandName = `${installation}-failover-command`;
    const vault = props.vault;
    const vaultReaderArn = vault && `arn:${stack.partition}:iam::${vault.account}:role/${vault.readerRoleName}`;
    const environment = {
      [ENV.installation]: installation,
      [ENV.drKeyAlias]: props.keyAlias ?? props.key.keyArn,
      [ENV.reportsBucket]: props.reports.bucketName,
      [FAILOVER_ENV.subnetGroup]: props.network.subnetGroup.subnetGroupName,
      [FAILOVER_ENV.securityGroups]: props.network.databaseSecurityGroup.securityGroupId,
      [FAILOVER_ENV.commandFunction]: commandName,
      [FAILOVER_ENV.approvalTopicArn]: props.alerts.topicArn,
      ...(vault && {
        [FAILOVER_ENV.vaultReaderRoleArn]: vaultReaderArn,
        [FAILOVER_ENV.restoreAccount]: stack.account,
      }),
    };
    const step = <I, O>(
      stepId: string,
      contract: { readonly entry: string; readonly types?: { input: I; output: O } },
      description: string,
      extra: Partial<LambdaStepProps> = {},
    ) => new LambdaStep<I, O>(this, stepId, contract, { description, logKey: props.key, environment, ...extra });
    const { arn, snapshots } = rdsArns(this);
    const prefix = `${failoverPrefix(installation)}*`;
    const failoverDbs = [arn('db', prefix), arn('cluster', prefix)];
    const describe = ['rds:DescribeDBInstances', 'rds:DescribeDBClusters'];

    const validate = step('Validate', FAILOVER_HANDLERS.validate, 'the check of a failover request');
    const precheck = step('Precheck', FAILOVER_HANDLERS.precheck, 'the failover pre-checks and plan', {
      ...(vault && { roleName: vault.sourceRoleNames.precheck }),
    })
      .allow(['kms:DescribeKey'], [props.key.keyArn])
      .allow(['route53:ListResourceRecordSets'], [zoneArn])
      .allow(describe, [arn('db', '*'), arn('cluster', '*')])
      .allow(['rds:DescribeGlobalClusters'], [arn('global-cluster', '*', '')])
      .allow(['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'], snapshots('*'))
      .allow(['rds:DescribeDBSubnetGroups'], [arn('subgrp', '*')])
      .allow(['rds:DescribeAccountAttributes'], ['*'])
      // Replicated automated backups here; the primary's own only for a corruption restore configured there.
      .allow(
        ['rds:DescribeDBInstanceAutomatedBackups'],
        [
          arn('auto-backup', '*'),
          arn('db', '*'),
          ...(settings.corruptionRestoreRegion === 'primary'
            ? [arn('auto-backup', '*', props.primaryRegion), arn('db', '*', props.primaryRegion)]
            : []),
        ],
      );
    const requestApproval = step(
      'RequestApproval',
      FAILOVER_HANDLERS.requestApproval,
      'the request for approval of a failover',
    );
    props.alerts.grantPublish(requestApproval.role);
    this.command = step('Command', FAILOVER_HANDLERS.command, 'approve or reject a waiting failover', {
      functionName: commandName,
    });
    // SendTaskSuccess/Failure have no resource type: the token names the task.
    this.command.allow(['states:SendTaskSuccess', 'states:SendTaskFailure'], ['*']);

    const tags = {
      'ForAllValues:StringEquals': {
        'aws:TagKeys': [
          TAG.managedBy,
          TAG.database,
          TAG.installation,
          TAG.execution,
          'lifeline:failover',
          FAILOVER_DRILL_TAG,
        ],
      },
    };
    const recover = step('Recover', FAILOVER_HANDLERS.recover, 'the recovery of a database in the DR region', {
      ...(vault && { roleName: vault.sourceRoleNames.recover }),
    })
      .allow(describe, [arn('db', '*'), arn('cluster', '*')])
      .allow(['rds:DescribeDBClusterSnapshots'], [arn('cluster-snapshot', '*')])
      .allow(
        [
          'rds:RestoreDBInstanceFromDBSnapshot',
          'rds:RestoreDBInstanceToPointInTime',
          'rds:RestoreDBClusterFromSnapshot',
          'rds:CreateDBInstance',
        ],
        [
          ...failoverDbs,
          ...snapshots('*'),
          arn('subgrp', props.network.subnetGroup.subnetGroupName),
          ...['secgrp', 'og', 'pg', 'cluster-pg', 'auto-backup'].map((type) => arn(type, '*')),
          ...(settings.corruptionRestoreRegion === 'primary'
            ? props.databases.map((d) => arn('db', d.drill.database.identifier, props.primaryRegion))
            : []),
        ],
      )
      .allow(['rds:AddTagsToResource'], failoverDbs, {
        ...tags,
        StringEquals: { [`aws:RequestTag/${TAG.managedBy}`]: MANAGED_BY },
      })
      .allowAll(rdsKeyUse([props.key.keyArn], [stack.region]));
    for (const { continuous } of props.databases) {
      if (continuous?.mode === 'read-replica')
        recover.allow(['rds:PromoteReadReplica'], [arn('db', continuous.replica)]);
      if (continuous?.mode === 'global-database')
        recover.allow(
          ['rds:FailoverGlobalCluster'],
          [arn('global-cluster', continuous.globalCluster, ''), arn('cluster', continuous.secondaryCluster)],
        );
    }
    if (vault && vaultReaderArn) {
      precheck.allow(['sts:AssumeRole'], [vaultReaderArn]);
      // A vault copy, shared with this account by the reader role, is copied here under the DR key (AWS requires a
      // key of this account for a copy of a shared encrypted snapshot), then restored: RDS decrypts it under the
      // vault key through a grant, which the vault key's policy allows this role.
      const local = snapshots(prefix);
      recover
        .allow(['sts:AssumeRole'], [vaultReaderArn])
        .allow(['rds:DescribeDBSnapshots'], [arn('snapshot', '*')])
        .allow(
          ['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot'],
          [...snapshots(`${snapshotPrefix(installation)}*`, stack.region, vault.account), ...local],
        )
        .allow(['rds:AddTagsToResource'], local, {
          ...tags,
          StringEquals: { [`aws:RequestTag/${TAG.managedBy}`]: MANAGED_BY },
        })
        .allowAll(
          rdsKeyUse([`arn:${stack.partition}:kms:${stack.region}:${vault.account}:key/*`], [stack.region], {
            'ForAnyValue:StringEquals': { 'kms:ResourceAliases': vault.keyAlias },
          }),
        );
    }
    const waitRecovered = step(
      'WaitRecovered',
      FAILOVER_HANDLERS.waitRecovered,
      'the wait for the recovered database',
    ).allow(describe, [arn('db', '*'), arn('cluster', '*')]);
    const switchDns = step('SwitchDns', FAILOVER_HANDLERS.switchDns, 'the switch of the failover record').allow(
      ['route53:ChangeResourceRecordSets'],
      [zoneArn],
      {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [props.recordName.replace(/\.$/, '').toLowerCase()],
          'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    );
    const waitDns = step('WaitDns', FAILOVER_HANDLERS.waitDns, 'the wait for the record change to be in sync').allow(
      ['route53:GetChange'],
      [`arn:${stack.partition}:route53:::change/*`],
    );
    const verify = step('Verify', FAILOVER_HANDLERS.verify, 'the verification of a failover through the name', {
      vpc: props.network.vpc,
      vpcSubnets: props.network.subnets,
      securityGroups: [props.network.checkSecurityGroup],
      timeout: Duration.minutes(5),
      environment: { ...environment, NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' },
    });
    for (const { drill } of props.databases) {
      const secret = drill.credentials;
      verify.allow(['secretsmanager:GetSecretValue'], [secret.secretFullArn ?? `${secret.secretArn}-??????`]);
      if (drill.credentialsKey)
        verify.allow(['kms:Decrypt'], [drill.credentialsKey.keyArn], {
          StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` },
        });
    }
    if (props.healthCheckId)
      verify.allow(
        ['route53:GetHealthCheckStatus'],
        [`arn:${stack.partition}:route53:::healthcheck/${props.healthCheckId}`],
      );
    // A drill's record switch and cleanup: only the shadow records, mirroring the production record's scope.
    const shadowRecords = Object.values(catalog).map((e) => e.drillRecordName.toLowerCase());
    const onlyShadow = (action: 'UPSERT' | 'DELETE') => ({
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': shadowRecords,
        'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
        'route53:ChangeResourceRecordSetsActions': [action],
      },
    });
    const drillDns = step(
      'DrillDns',
      FAILOVER_HANDLERS.switchDns,
      "the switch of a failover drill's shadow record",
    ).allow(['route53:ChangeResourceRecordSets'], [zoneArn], onlyShadow('UPSERT'));
    // Deletes only a drill's copy: named as a failover restore and tagged by a drill (DeleteDBCluster authorizes on
    // the final cluster snapshot's name too, which the cleanup skips).
    const drillDeletion = (deleter: LambdaStep<unknown>) =>
      deleter
        .allow(describe, [arn('db', '*'), arn('cluster', '*')])
        .allow(['rds:DeleteDBInstance'], [arn('db', prefix)], {
          StringLike: { [`rds:db-tag/${FAILOVER_DRILL_TAG}`]: '*' },
        })
        .allow(['rds:DeleteDBCluster'], [arn('cluster', prefix)], {
          StringLike: { [`rds:cluster-tag/${FAILOVER_DRILL_TAG}`]: '*' },
        })
        .allow(['rds:DeleteDBCluster'], [arn('cluster-snapshot', prefix)])
        .allow(['route53:ListResourceRecordSets'], [zoneArn])
        .allow(['route53:ChangeResourceRecordSets'], [zoneArn], onlyShadow('DELETE'));
    const drillCleanup = step(
      'DrillCleanup',
      FAILOVER_HANDLERS.drillCleanup,
      'the deletion of a failover drill copy and shadow record',
    );
    drillDeletion(drillCleanup);
    // The safety net for a drill whose execution timed out or was stopped before its cleanup: the same deletions,
    // of copies whose execution (of this workflow only) has ended.
    this.drillSweeper = step(
      'DrillSweeper',
      FAILOVER_HANDLERS.sweepDrills,
      'the sweeper of failover drill copies left behind',
      {
        timeout: Duration.minutes(5),
        environment: {
          ...environment,
          [FAILOVER_ENV.hostedZoneId]: props.hostedZone.hostedZoneId,
          [FAILOVER_ENV.recordName]: props.recordName,
        },
      },
    );
    drillDeletion(this.drillSweeper).allow(
      ['states:DescribeExecution'],
      [`arn:${stack.partition}:states:${stack.region}:${stack.account}:execution:${installation}-failover:*`],
    );
    const recorder = step('Record', FAILOVER_HANDLERS.record, 'the failover record')
      .allow(
        ['s3:PutObject'],
        props.databases.map((d) => props.reports.arnForObjects(`failovers/${d.drill.database.id}/*`)),
      )
      .allow(['kms:GenerateDataKey'], [props.key.keyArn], {
        StringEquals: { 'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}` },
      });
    const explain = step('ExplainFailure', ALERT_HANDLERS.explainFailure, 'the explanation of a failed failover');

    const failure = new FailurePath(this, {
      workflow: 'failover',
      databasePath: '$$.Execution.Input.database',
      explain: explain.function,
      alerts: props.alerts,
    });

    // 1. The request, before any read.
    const validateRequest = validate.task(this, 'Validate the failover request', {
      input: {
        request: at('$'),
        catalog,
        settings,
        execution: at('$$.Execution.Id'),
        startTime: at('$$.Execution.StartTime'),
      },
      resultPath: '$.plan',
    });
    validateRequest.addCatch(
      new sfn.Fail(this, 'Reject the failover request', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
      { errors: [ERROR.invalidInput], resultPath: '$.error' },
    );
    const start = new sfn.Pass(this, 'Start the failover record', {
      parameters: {
        'plan.$': '$.plan',
        precheck: null,
        approval: null,
        recovery: null,
        endpoint: null,
        dns: null,
        verification: null,
        rollback: null,
        error: null,
        failedStep: null,
      },
    });

    // Every failure is recorded, then explained and alerted (it pages through the sink as failover-failed).
    const recordFailure = recorder.task(this, 'Record the failed failover', { input: at('$'), resultPath: '$.report' });
    recordFailure.addCatch(failure.explainAndAlert, { resultPath: '$.recordError' });
    const guard = <T extends sfn.TaskStateBase>(state: T) => failure.guard(state, { via: recordFailure });

    // 2. Pre-checks and the plan.
    const prechecks = guard(
      precheck.task(this, 'Pre-check and plan the recovery', { input: at('$.plan'), resultPath: '$.precheck' }),
    );
    // A dry run's record is the evidence that the recovery path was preflighted (readiness, the evidence roll-up).
    const recordDryRun = guard(recorder.task(this, 'Record the dry run', { input: at('$'), resultPath: '$.report' }));
    const dryRunDone = new sfn.Pass(this, 'Show the plan of the dry run', {
      parameters: {
        dryRun: true,
        'location.$': '$.report.location',
        record: { 'summary.$': '$.report.record.summary', 'status.$': '$.report.record.status' },
        'database.$': '$.plan.database',
        'scenario.$': '$.plan.scenario',
        'source.$': '$.precheck.source',
        'changes.$': '$.precheck.changes',
        'checks.$': '$.precheck.checks',
        'considered.$': '$.precheck.considered',
        'currentRecord.$': '$.precheck.currentRecord',
      },
    }).next(new sfn.Succeed(this, 'Dry run: nothing was changed'));

    // 3. Approval, unless waived: the wait ends with the command's answer, or at the timeout with no change.
    const approvalPayload: Payload<RequestApprovalInput> = {
      plan: at('$.plan'),
      precheck: at('$.precheck'),
      token: sfn.JsonPath.taskToken,
    };
    const askApproval = new tasks.LambdaInvoke(this, 'Ask for approval', {
      lambdaFunction: requestApproval.function,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject(renderPayload(approvalPayload)),
      taskTimeout: sfn.Timeout.duration(Duration.seconds(settings.approvalTimeoutSeconds)),
      resultPath: '$.approval',
      retryOnServiceExceptions: false,
      comment: `Waits ${Duration.seconds(settings.approvalTimeoutSeconds).toHumanString()} for an approval; then stops with no change`,
    }).addRetry(LAMBDA_SERVICE_RETRY);
    const unchanged = (stateId: string, error: string) =>
      recorder.task(this, `Record that ${stateId}`, { input: at('$'), resultPath: '$.report' }).next(
        new sfn.Fail(this, `Stopped: ${stateId}, nothing was changed`, {
          error,
          causePath: '$.report.record.summary',
        }),
      );
    askApproval.addCatch(unchanged('the approval timed out', 'FailoverNotApproved'), {
      errors: [sfn.Errors.TIMEOUT],
      resultPath: '$.error',
    });
    askApproval.addCatch(unchanged('the failover was rejected', FAILOVER_REJECTED), {
      errors: [FAILOVER_REJECTED],
      resultPath: '$.error',
    });
    guard(askApproval);

    // 4. Recover, and wait.
    const recoverTask = recover.task(this, 'Recover the database in the DR region', {
      input: { plan: at('$.plan'), precheck: at('$.precheck') },
      resultPath: '$.recovery',
    });
    // From a vault copy the restore starts once its copy into this account is available (NotReady until then).
    const recoverIt = guard(vault ? poll(recoverTask, props.recoveryPoll ?? FAILOVER_RECOVERY_POLL) : recoverTask);
    const waitAvailable = guard(
      poll(
        waitRecovered.task(this, 'Wait until the recovered database takes writes', {
          input: { plan: at('$.plan'), recovery: at('$.recovery') },
          resultPath: '$.endpoint',
        }),
        props.recoveryPoll ?? FAILOVER_RECOVERY_POLL,
      ),
    );

    // 5. Switch the record, wait until Route 53 has it everywhere.
    const dnsRetry = { errors: DNS_RETRY_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 8 };
    /** An UPSERT of the record to `value` and the wait until Route 53 has it everywhere, kept at `resultPath`. */
    const switchAndWait = (
      names: { readonly change: string; readonly wait: string },
      value: string,
      reason: 'failover' | 'rollback',
      resultPath: string,
    ) => ({
      change: guard(
        switchDns
          .task(this, names.change, { input: { plan: at('$.plan'), value: at(value), reason }, resultPath })
          .addRetry(dnsRetry) as tasks.LambdaInvoke,
      ),
      inSync: guard(
        poll(
          waitDns
            .task(this, names.wait, { input: { change: at(resultPath) }, resultPath })
            .addRetry(dnsRetry) as tasks.LambdaInvoke,
          DNS_POLL,
        ),
      ),
    });
    const { change: switchRecord, inSync: dnsInSync } = switchAndWait(
      { change: 'Point the record at the recovered database', wait: 'Wait until the record change is in sync' },
      '$.endpoint.host',
      'failover',
      '$.dns',
    );

    // 6. Verify through the name.
    const verifyPoll: PollPolicy = {
      interval: Duration.seconds(15),
      backoffRate: 1,
      maxDelay: Duration.seconds(15),
      maxAttempts: Math.ceil((3 * settings.ttl) / 15) + 4,
    };
    const verifyIt = guard(
      poll(
        verify.task(this, 'Verify through the name', {
          input: {
            plan: at('$.plan'),
            endpoint: at('$.endpoint'),
            precheck: at('$.precheck'),
            dnsChangedAt: at('$.dns.insyncAt'),
          },
          resultPath: '$.verification',
        }),
        verifyPoll,
      ),
    );

    // 7. Record; a failed verification rolls DNS back while the old target answers, and escalates either way.
    const recordDone = guard(recorder.task(this, 'Record the failover', { input: at('$'), resultPath: '$.report' }));
    const failedOver = new sfn.Succeed(this, 'Failed over', { outputPath: '$.report' });
    // The record's subject and message, tagged for the incident sink with the kind it opens.
    const alertOfReport = (
      stateId: string,
      kind: 'failover-failed' | 'failover-drill-failed' | 'failover-preflight-failed',
    ) =>
      new tasks.SnsPublish(this, stateId, {
        topic: props.alerts,
        subject: sfn.JsonPath.stringAt('$.report.subject'),
        message: sfn.TaskInput.fromJsonPathAt('$.report.message'),
        messageAttributes: {
          [ALERT_ATTRIBUTE.kind]: { value: kind },
          [ALERT_ATTRIBUTE.database]: { value: sfn.JsonPath.stringAt('$$.Execution.Input.database') },
          [ALERT_ATTRIBUTE.execution]: { value: sfn.JsonPath.stringAt('$$.Execution.Id') },
        },
        resultPath: sfn.JsonPath.DISCARD,
      }).addRetry({ errors: SNS_PUBLISH_RETRY_ERRORS, interval: Duration.seconds(5), maxAttempts: 5 });
    const alertNotVerified = (suffix: string) => alertOfReport(`Alert that the failover ${suffix}`, 'failover-failed');
    const notVerified = new sfn.Fail(this, 'Failover not verified', {
      error: 'FailoverNotVerified',
      causePath: '$.report.record.summary',
    });
    const { change: rollBack, inSync: rollbackInSync } = switchAndWait(
      { change: 'Point the record back at the old target', wait: 'Wait until the rollback is in sync' },
      '$.precheck.currentRecord.value',
      'rollback',
      '$.rollback',
    );
    const recordRolledBack = guard(
      recorder.task(this, 'Record the rolled-back failover', { input: at('$'), resultPath: '$.report' }),
    );
    const recordNotVerified = guard(
      recorder.task(this, 'Record the unverified failover', { input: at('$'), resultPath: '$.report' }),
    );
    const rolledBackAlert = alertNotVerified('was rolled back');
    const notVerifiedAlert = alertNotVerified('is not verified');
    rolledBackAlert.addCatch(notVerified, { resultPath: '$.alertError' });
    notVerifiedAlert.addCatch(notVerified, { resultPath: '$.alertError' });
    rollBack.next(rollbackInSync).next(recordRolledBack).next(rolledBackAlert).next(notVerified);
    recordNotVerified.next(notVerifiedAlert).next(notVerified);
    const verdict = new sfn.Choice(this, 'Verified through the name?')
      .when(sfn.Condition.booleanEquals('$.verification.verified', true), recordDone.next(failedOver))
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.verification.oldTarget.healthy'),
          sfn.Condition.booleanEquals('$.verification.oldTarget.healthy', true),
        ),
        rollBack,
      )
      .otherwise(recordNotVerified);

    const recovery = recoverIt.next(waitAvailable).next(switchRecord).next(dnsInSync).next(verifyIt).next(verdict);
    askApproval.next(recovery);

    // The failover drill: the same runbook on a restored copy and the shadow record; the cleanup runs on every path.
    const drillAlert = (stateId: string) => alertOfReport(stateId, 'failover-drill-failed');
    const drillNotPassed = new sfn.Fail(this, 'Failover drill did not pass', {
      error: 'FailoverDrillFailed',
      causePath: '$.report.record.summary',
    });
    const cleanupAfterFailure = drillCleanup
      .task(this, 'Delete the drill copy and the shadow record after the failure', {
        input: { plan: at('$.plan') },
        resultPath: '$.cleanup',
      })
      .addRetry(dnsRetry) as tasks.LambdaInvoke;
    const recordFailedDrill = recorder.task(this, 'Record the failed failover drill', {
      input: at('$'),
      resultPath: '$.report',
    });
    const failedDrillAlert = drillAlert('Alert that the failover drill failed');
    failedDrillAlert.addCatch(drillNotPassed, { resultPath: '$.alertError' });
    cleanupAfterFailure.addCatch(recordFailedDrill, { resultPath: '$.cleanupError' });
    recordFailedDrill.addCatch(failure.explainAndAlert, { resultPath: '$.recordError' });
    cleanupAfterFailure.next(recordFailedDrill).next(failedDrillAlert).next(drillNotPassed);
    const drillGuard = <T extends sfn.TaskStateBase>(state: T) => failure.guard(state, { via: cleanupAfterFailure });
    const restoreCopy = drillGuard(
      recover.task(this, 'Restore a copy for the failover drill', {
        input: { plan: at('$.plan'), precheck: at('$.precheck') },
        resultPath: '$.recovery',
      }),
    );
    const copyAvailable = drillGuard(
      poll(
        waitRecovered.task(this, 'Wait until the drill copy takes writes', {
          input: { plan: at('$.plan'), recovery: at('$.recovery') },
          resultPath: '$.endpoint',
        }),
        props.recoveryPoll ?? FAILOVER_RECOVERY_POLL,
      ),
    );
    const switchShadow = drillGuard(
      drillDns
        .task(this, 'Point the shadow record at the drill copy', {
          input: { plan: at('$.plan'), value: at('$.endpoint.host'), reason: 'drill' },
          resultPath: '$.dns',
        })
        .addRetry(dnsRetry) as tasks.LambdaInvoke,
    );
    const shadowInSync = drillGuard(
      poll(
        waitDns
          .task(this, 'Wait until the shadow record change is in sync', {
            input: { change: at('$.dns') },
            resultPath: '$.dns',
          })
          .addRetry(dnsRetry) as tasks.LambdaInvoke,
        DNS_POLL,
      ),
    );
    const verifyDrill = drillGuard(
      poll(
        verify.task(this, 'Verify the drill through the shadow name', {
          input: {
            plan: at('$.plan'),
            endpoint: at('$.endpoint'),
            precheck: at('$.precheck'),
            dnsChangedAt: at('$.dns.insyncAt'),
          },
          resultPath: '$.verification',
        }),
        verifyPoll,
      ),
    );
    const cleanupDrill = drillGuard(
      drillCleanup
        .task(this, 'Delete the drill copy and the shadow record', {
          input: { plan: at('$.plan') },
          resultPath: '$.cleanup',
        })
        .addRetry(dnsRetry) as tasks.LambdaInvoke,
    );
    const recordDrill = drillGuard(
      recorder.task(this, 'Record the failover drill', { input: at('$'), resultPath: '$.report' }),
    );
    const drillAlertNotPassed = drillAlert('Alert that the failover drill did not pass');
    drillAlertNotPassed.addCatch(drillNotPassed, { resultPath: '$.alertError' });
    const drillVerdict = new sfn.Choice(this, 'Did the failover drill pass?')
      .when(
        sfn.Condition.stringEquals('$.report.record.status', 'drill-passed'),
        new sfn.Succeed(this, 'Failover drill passed', { outputPath: '$.report' }),
      )
      .otherwise(drillAlertNotPassed.next(drillNotPassed));
    restoreCopy
      .next(copyAvailable)
      .next(switchShadow)
      .next(shadowInSync)
      .next(verifyDrill)
      .next(cleanupDrill)
      .next(recordDrill)
      .next(drillVerdict);

    // A drill that fails before its copy exists (the pre-checks) is a failed drill, not a failover that failed; a dry
    // run that fails changed nothing and moved no client: a failed preflight (P2), not a failed failover (P0).
    const preflightFailed = new sfn.Fail(this, 'Dry run: the preflight failed', {
      error: 'FailoverPreflightFailed',
      causePath: '$.report.record.summary',
    });
    const preflightAlert = alertOfReport('Alert that the dry run failed', 'failover-preflight-failed');
    preflightAlert.addCatch(preflightFailed, { resultPath: '$.alertError' });
    recordFailure.next(
      new sfn.Choice(this, 'Was it a failover drill?')
        .when(sfn.Condition.isPresent('$.plan.drill.shadowRecord'), failedDrillAlert)
        .when(
          sfn.Condition.and(
            sfn.Condition.isPresent('$.plan.dryRun'),
            sfn.Condition.booleanEquals('$.plan.dryRun', true),
          ),
          preflightAlert.next(preflightFailed),
        )
        .otherwise(failure.explainAndAlert),
    );

    const approvalChoice = new sfn.Choice(this, 'Is the approval waived?')
      .when(sfn.Condition.isPresent('$.plan.drill.shadowRecord'), restoreCopy)
      .when(sfn.Condition.booleanEquals('$.plan.approval.required', false), recoverIt)
      .otherwise(askApproval);
    const dryRunChoice = new sfn.Choice(this, 'Is this a dry run?')
      .when(sfn.Condition.booleanEquals('$.plan.dryRun', true), recordDryRun.next(dryRunDone))
      .otherwise(approvalChoice);

    const chain = validateRequest.next(start).next(prechecks).next(dryRunChoice);
    const { definition, options } = definitionOf(chain);
    this.timeoutSeconds = executionTimeoutSeconds(definition, options);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `${installation}-failover`,
      definitionBody: sfn.DefinitionBody.fromChainable(chain),
      timeout: Duration.seconds(Math.min(this.timeoutSeconds, 365 * 86_400)),
      tracingEnabled: true,
      logs: workflowLogs(this, props.key),
    });
    props.alerts.grantPublish(this.stateMachine);

    new scheduler.Schedule(this, 'SweepDrills', {
      scheduleName: `${installation}-sweep-failover-drills`,
      description: 'Delete failover drill copies and shadow records whose execution did not clean up',
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
      key: props.key,
      target: new targets.LambdaInvoke(this.drillSweeper.function, { retryAttempts: 2 }),
    });

    // The monthly failover drill of each database: it proves the path without touching production.
    if (props.drillSchedule)
      for (const db of props.databases.map((d) => d.drill.database))
        new scheduler.Schedule(this, `Drill-${db.id}`, {
          scheduleName: `${installation}-failover-drill-${db.id}`,
          description: `Failover drill of ${db.id} on ${failoverDrillRecord(db.id, props.recordName)}`,
          schedule: props.drillSchedule,
          key: props.key,
          target: new targets.StepFunctionsStartExecution(this.stateMachine, {
            input: scheduler.ScheduleTargetInput.fromObject({
              database: db.id,
              scenario: 'region-outage',
              drill: true,
              startedBy: 'the monthly failover drill schedule',
            }),
            retryAttempts: 3,
          }),
        });
  }
}
