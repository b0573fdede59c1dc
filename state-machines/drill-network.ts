import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { Engine } from './databases';

/** Where drills restore and check: isolated subnets, and who may reach the restored databases. */
export interface DrillNetwork {
  readonly vpc: ec2.IVpc;
  /** Isolated subnets for the restored database and the check function. */
  readonly subnets: ec2.SubnetSelection;
  readonly subnetGroup: rds.ISubnetGroup;
  /** Attached to restored databases; admits only `checkSecurityGroup`. */
  readonly databaseSecurityGroup: ec2.ISecurityGroup;
  /** Attached to the check function. */
  readonly checkSecurityGroup: ec2.ISecurityGroup;
  /** Attached to the VPC's interface endpoints (Secrets Manager; the archive dump adds ECR and Logs). */
  readonly endpointSecurityGroup?: ec2.ISecurityGroup;
}

export interface DrillNetworkProps {
  /** Key of the flow logs. */
  readonly key: kms.IKey;
  /** The engines drilled: their ports are the only ones open from the check function to the databases. */
  readonly engines: readonly Engine[];
  /** Name of the RDS subnet group. @default 'lifeline-drill' */
  readonly subnetGroupName?: string;
  /** Two zones of the region. @default - the first two of the stack's availabilityZones */
  readonly availabilityZones?: string[];
  /** @default '10.91.0.0/20' */
  readonly cidr?: string;
}

const ENGINE_PORTS: Record<Engine, number> = {
  postgres: 5432,
  'aurora-postgresql': 5432,
  mysql: 3306,
  mariadb: 3306,
  'aurora-mysql': 3306,
};

/**
 * The drill network, made in `scope`: a VPC of isolated subnets with flow logs (drills restore into subnets with no
 * route out), security groups that let only the check function reach a restored database, and a Secrets Manager
 * endpoint for the check function's credentials.
 */
export function drillNetwork(scope: Construct, props: DrillNetworkProps): DrillNetwork {
  const vpc = new ec2.Vpc(scope, 'DrillNetwork', {
    ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.91.0.0/20'),
    availabilityZones: props.availabilityZones ?? Stack.of(scope).availabilityZones.slice(0, 2),
    natGateways: 0,
    subnetConfiguration: [{ name: 'drill', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
    flowLogs: {
      all: {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(
          new logs.LogGroup(scope, 'DrillNetworkFlowLogs', {
            retention: logs.RetentionDays.ONE_YEAR,
            encryptionKey: props.key,
            removalPolicy: RemovalPolicy.DESTROY,
          }),
        ),
        trafficType: ec2.FlowLogTrafficType.ALL,
      },
    },
  });
  const subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  const databaseSecurityGroup = new ec2.SecurityGroup(scope, 'DrillDatabase', {
    vpc,
    description: 'Restored drill databases: reachable only by the check function',
    allowAllOutbound: false,
  });
  const checkSecurityGroup = new ec2.SecurityGroup(scope, 'DrillCheck', {
    vpc,
    description: 'Lifeline drill check function',
    allowAllOutbound: false,
  });
  const endpointSecurityGroup = new ec2.SecurityGroup(scope, 'DrillEndpoints', {
    vpc,
    description: 'Secrets Manager endpoint for the drill checks',
    allowAllOutbound: false,
  });
  const ports = [...new Set(props.engines.map((engine) => ENGINE_PORTS[engine]))];
  for (const port of ports.length > 0 ? ports : [5432]) {
    databaseSecurityGroup.addIngressRule(checkSecurityGroup, ec2.Port.tcp(port), 'The drill check function');
    checkSecurityGroup.addEgressRule(databaseSecurityGroup, ec2.Port.tcp(port), 'Restored drill databases');
  }
  endpointSecurityGroup.addIngressRule(checkSecurityGroup, ec2.Port.tcp(443), 'The drill check function');
  checkSecurityGroup.addEgressRule(endpointSecurityGroup, ec2.Port.tcp(443), 'Secrets Manager endpoint');
  vpc.addInterfaceEndpoint('SecretsManager', {
    service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    subnets,
    securityGroups: [endpointSecurityGroup],
    open: false,
  });
  const subnetGroup = new rds.SubnetGroup(scope, 'DrillSubnets', {
    vpc,
    vpcSubnets: subnets,
    description: 'Isolated subnets for Lifeline restore drills',
    subnetGroupName: props.subnetGroupName ?? 'lifeline-drill',
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return { vpc, subnets, subnetGroup, databaseSecurityGroup, checkSecurityGroup, endpointSecurityGroup };
}

/**
 * The bucket for drill evidence, made in `scope`: for auditors, so encrypted under `key`, versioned, locked against
 * deletion (governance mode, 400 days) and access-logged to a second bucket kept seven years.
 */
export function reportsBucket(scope: Construct, key: kms.IKey): s3.Bucket {
  const accessLogs = new s3.Bucket(scope, 'ReportAccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: true,
    lifecycleRules: [{ expiration: Duration.days(2555) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  return new s3.Bucket(scope, 'Reports', {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: key,
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
}
