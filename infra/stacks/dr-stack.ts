import { Duration, RemovalPolicy, Stack, type StackProps, TimeZone } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { DrillWorkflow } from '../../state-machines/drill';
import { ExecutionEndedRule } from '../../state-machines/execution-ended';
import { lifelineKey } from '../../state-machines/keys';
import type { LifelineConfig } from '../config/schema';
import { namesOf } from '../names';
import { drillSpecs } from '../specs';

export interface DrStackProps extends StackProps {
  readonly config: LifelineConfig;
}

const ENGINE_PORTS: Record<string, number> = {
  postgres: 5432,
  'aurora-postgresql': 5432,
  mysql: 3306,
  mariadb: 3306,
  'aurora-mysql': 3306,
};

/**
 * The DR region: the copies of every recovery point, and the recovery control plane (drills, failover),
 * which must keep working while the primary region is down.
 */
export class DrStack extends Stack {
  readonly key: kms.Key;
  readonly alerts: sns.Topic;
  readonly reports: s3.Bucket;
  readonly drill: DrillWorkflow;
  readonly vpc: ec2.Vpc;
  readonly databaseSecurityGroup: ec2.SecurityGroup;
  readonly checkSecurityGroup: ec2.SecurityGroup;

  private readonly zones: string[];

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.zones = config.drAvailabilityZones;
    const names = namesOf(config);
    this.key = lifelineKey(this, names.keyAlias('dr'), 'dr');
    if (config.vault) {
      const vaultCopierArn = `arn:${this.partition}:iam::${config.vault.account}:role/${names.vaultCopierRole}`;
      // The vault copy is made from the DR copy, in this region, by the vault's copier role: RDS reads the shared
      // copy under this key through a grant. Nothing else in the vault account may use it, and only through RDS here.
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'VaultCopierReadsSharedCopies',
          principals: [new iam.AccountPrincipal(config.vault.account)],
          actions: ['kms:Decrypt', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: {
            ArnEquals: { 'aws:PrincipalArn': vaultCopierArn },
            StringEquals: { 'kms:ViaService': `rds.${this.region}.${this.urlSuffix}` },
          },
        }),
      );
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'VaultCopierGrantsRds',
          principals: [new iam.AccountPrincipal(config.vault.account)],
          actions: ['kms:CreateGrant'],
          resources: ['*'],
          conditions: {
            ArnEquals: { 'aws:PrincipalArn': vaultCopierArn },
            StringEquals: { 'kms:ViaService': `rds.${this.region}.${this.urlSuffix}` },
            Bool: { 'kms:GrantIsForAWSResource': true },
          },
        }),
      );
    }
    this.alerts = new sns.Topic(this, 'Alerts', {
      topicName: `${config.name}-dr-alerts`,
      displayName: 'Lifeline DR alerts',
      masterKey: this.key,
      enforceSSL: true,
    });

    // Drills restore into subnets with no route out; the check function reaches Secrets Manager through an endpoint.
    this.vpc = new ec2.Vpc(this, 'DrillNetwork', {
      ipAddresses: ec2.IpAddresses.cidr('10.91.0.0/20'),
      availabilityZones: this.availabilityZones.slice(0, 2),
      natGateways: 0,
      subnetConfiguration: [{ name: 'drill', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'DrillNetworkFlowLogs', {
              retention: logs.RetentionDays.ONE_YEAR,
              encryptionKey: this.key,
              removalPolicy: RemovalPolicy.DESTROY,
            }),
          ),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
    const subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    this.databaseSecurityGroup = new ec2.SecurityGroup(this, 'DrillDatabase', {
      vpc: this.vpc,
      description: 'Restored drill databases: reachable only by the check function',
      allowAllOutbound: false,
    });
    this.checkSecurityGroup = new ec2.SecurityGroup(this, 'DrillCheck', {
      vpc: this.vpc,
      description: 'Lifeline drill check function',
      allowAllOutbound: false,
    });
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'DrillEndpoints', {
      vpc: this.vpc,
      description: 'Secrets Manager endpoint for the drill checks',
      allowAllOutbound: false,
    });
    const ports = [...new Set(config.databases.filter((db) => db.drill).map((db) => ENGINE_PORTS[db.engine] ?? 5432))];
    for (const port of ports.length > 0 ? ports : [5432]) {
      this.databaseSecurityGroup.addIngressRule(
        this.checkSecurityGroup,
        ec2.Port.tcp(port),
        'The drill check function',
      );
      this.checkSecurityGroup.addEgressRule(this.databaseSecurityGroup, ec2.Port.tcp(port), 'Restored drill databases');
    }
    endpointSecurityGroup.addIngressRule(this.checkSecurityGroup, ec2.Port.tcp(443), 'The drill check function');
    this.checkSecurityGroup.addEgressRule(endpointSecurityGroup, ec2.Port.tcp(443), 'Secrets Manager endpoint');
    this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets,
      securityGroups: [endpointSecurityGroup],
      open: false,
    });
    const subnetGroup = new rds.SubnetGroup(this, 'DrillSubnets', {
      vpc: this.vpc,
      vpcSubnets: subnets,
      description: 'Isolated subnets for Lifeline restore drills',
      subnetGroupName: `${config.name}-drill`,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const accessLogs = new s3.Bucket(this, 'ReportAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(2555) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Drill evidence is for auditors: encrypted, versioned and locked against deletion.
    this.reports = new s3.Bucket(this, 'Reports', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(400)),
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'reports/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.drill = new DrillWorkflow(this, 'Drill', {
      drills: drillSpecs(this, config),
      installation: config.name,
      key: this.key,
      keyAlias: names.keyAlias('dr'),
      alerts: this.alerts,
      reports: this.reports,
      vpc: this.vpc,
      subnets,
      subnetGroup,
      databaseSecurityGroup: this.databaseSecurityGroup,
      checkSecurityGroup: this.checkSecurityGroup,
    });

    // A timeout or a stop cannot be caught inside the workflow: delete its drill database and alert from outside.
    new ExecutionEndedRule(this, 'DrillEnded', {
      stateMachine: this.drill.stateMachine,
      workflow: 'drill',
      alerts: this.alerts,
      alertsKey: this.key,
      logKey: this.key,
      drillDatabasesOf: config.name,
    });

    const group = new scheduler.ScheduleGroup(this, 'Schedules', { scheduleGroupName: `${config.name}-drills` });
    for (const db of config.databases) {
      if (!db.drill) continue;
      new scheduler.Schedule(this, `Drill-${db.id}`, {
        scheduleName: `${config.name}-drill-${db.id}`,
        description: `Restore drill of ${db.id}`,
        scheduleGroup: group,
        schedule: scheduler.ScheduleExpression.expression(db.drill.schedule, TimeZone.of(db.drill.timeZone)),
        key: this.key,
        target: new targets.StepFunctionsStartExecution(this.drill.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({ database: db.id }),
          retryAttempts: 3,
        }),
      });
    }
    new scheduler.Schedule(this, 'SweepDrills', {
      scheduleName: `${config.name}-sweep-drills`,
      description: 'Delete drill databases whose execution did not clean up',
      scheduleGroup: group,
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
      key: this.key,
      target: new targets.LambdaInvoke(this.drill.sweeper.function, { retryAttempts: 2 }),
    });
  }

  /**
   * The configured zones (drAvailabilityZones), never Fn::GetAZs: that lists only zones with a default subnet, in an
   * order that can change when AWS adds a zone, and a drill subnet whose zone changes is replaced with the same CIDR,
   * which fails. No context lookup either, so synth needs no AWS credentials.
   */
  override get availabilityZones(): string[] {
    return this.zones;
  }
}
