import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DUMP_CONTAINERS, DUMP_ENV, DUMP_HANDLERS, dumpPrefix } from '../functions/dump/contracts';
import { ALERT_ATTRIBUTE } from '../functions/incidents/contracts';
import { SNS_PUBLISH_RETRY_ERRORS } from './common';
import type { DrillSpec, Engine } from './databases';
import type { DrillNetwork } from './drill-network';
import { at, LambdaStep } from './step';

/** The dump script both containers run (and the tests run locally): one file, inlined into the task definition. */
export const ARCHIVE_DUMP_SCRIPT = fileURLToPath(new URL('../functions/dump/archive-dump.sh', import.meta.url));

/**
 * The public images the dump task runs, as paths in ECR Public (pulled through this account's ECR cache). Each
 * engine's client dumps servers of its own version and older: pg_dump 18 dumps PostgreSQL 9.2 to 18, mysqldump 8.4
 * dumps MySQL 8.0 and 8.4 (Aurora MySQL 3), mariadb-dump 11.4 dumps MariaDB 10.x and 11.x.
 */
export const DEFAULT_DUMP_IMAGES = {
  postgres: 'docker/library/postgres:18',
  mysql: 'docker/library/mysql:8.4',
  mariadb: 'docker/library/mariadb:11.4',
  awsCli: 'aws-cli/aws-cli:2.27.50',
} as const;

export type DumpImages = { readonly [K in keyof typeof DEFAULT_DUMP_IMAGES]?: string };

const ENGINE_PORTS: Record<Engine, number> = {
  postgres: 5432,
  'aurora-postgresql': 5432,
  mysql: 3306,
  mariadb: 3306,
  'aurora-mysql': 3306,
};

const imageOf = (engine: Engine): keyof typeof DEFAULT_DUMP_IMAGES =>
  engine.includes('postgres') ? 'postgres' : engine === 'mariadb' ? 'mariadb' : 'mysql';

/** A database whose passing drills leave an archived dump, and where the dumps go. */
export interface ArchivedDatabase {
  /** The database's drill: its credentials secret (and that secret's key) and database name. */
  readonly drill: DrillSpec;
  /** The archive bucket, in this region, encrypted under `ArchiveDumpProps.key`. */
  readonly bucket: s3.IBucket;
}

export interface ArchiveDumpProps {
  /** The databases archived, each with its bucket. */
  readonly archives: readonly ArchivedDatabase[];
  /** The installation's name: prefix of the cluster, the image cache and the task families. */
  readonly installation: string;
  /** This region's key: the task logs, and the archive buckets' SSE-KMS. */
  readonly key: kms.IKey;
  /** Where the drill restored: the dump task runs in its isolated subnets. */
  readonly network: DrillNetwork;
  /** The Secrets Manager endpoint's security group, which the task must reach for its credentials. */
  readonly endpointSecurityGroup: ec2.ISecurityGroup;
  /** Public images to run, as ECR Public paths. @default DEFAULT_DUMP_IMAGES */
  readonly images?: DumpImages;
  /** The task's size. @default 1 vCPU, 2 GiB */
  readonly cpu?: number;
  readonly memoryLimitMiB?: number;
  /** The task's disk, which holds the whole dump before the upload. @default 100 GiB (Fargate allows 21-200) */
  readonly ephemeralStorageGiB?: number;
  /** How long a dump and its upload may take. @default Duration.hours(4) */
  readonly timeout?: Duration;
}

/**
 * The restorable long-term archive: after a drill's checks passed, a Fargate task in the drill's isolated subnets dumps
 * the restored database with the engine's own tool (pg_dump custom format, mysqldump or mariadb-dump with
 * --single-transaction), writes a SHA-256 manifest, and a second container (the AWS CLI) puts both into the archive
 * bucket under SSE-KMS, the dump straight into Deep Archive. The images are public ones pulled through an ECR
 * pull-through cache of ECR Public; the subnets have no route out, so ECR, CloudWatch Logs and S3 are reached through
 * VPC endpoints made here (Secrets Manager's exists for the checks).
 */
export class ArchiveDump extends Construct {
  readonly cluster: ecs.Cluster;
  readonly securityGroup: ec2.SecurityGroup;
  readonly planner: LambdaStep<unknown>;
  /** One task definition per archived database, by its id. */
  readonly taskDefinitions: Record<string, ecs.FargateTaskDefinition> = {};
  /** The ECR repository prefix the pull-through cache rule serves. */
  readonly cachePrefix: string;
  readonly clusterName: string;
  private readonly props: ArchiveDumpProps;
  private readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: ArchiveDumpProps) {
    super(scope, id);
    this.props = props;
    this.timeout = props.timeout ?? Duration.hours(4);
    const stack = Stack.of(this);
    const { vpc, subnets, databaseSecurityGroup } = props.network;
    const images = { ...DEFAULT_DUMP_IMAGES, ...props.images };

    // ECR fetches the public image on the first pull and keeps it in this registry; the task pulls from ECR only.
    this.cachePrefix = `${props.installation}-ecr-public`;
    this.clusterName = `${props.installation}-archive-dumps`;
    new ecr.CfnPullThroughCacheRule(this, 'EcrPublicCache', {
      ecrRepositoryPrefix: this.cachePrefix,
      upstreamRegistryUrl: 'public.ecr.aws',
      upstreamRegistry: 'ecr-public',
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc,
      description: 'Lifeline archive dump task: the restored drill database and the VPC endpoints only',
      allowAllOutbound: false,
    });
    const ports = [...new Set(props.archives.map((a) => ENGINE_PORTS[a.drill.database.engine]))];
    for (const port of ports) {
      databaseSecurityGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(port), 'The archive dump task');
      this.securityGroup.addEgressRule(databaseSecurityGroup, ec2.Port.tcp(port), 'Restored drill databases');
    }
    props.endpointSecurityGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(443), 'The archive dump task');
    this.securityGroup.addEgressRule(props.endpointSecurityGroup, ec2.Port.tcp(443), 'VPC interface endpoints');
    // The S3 gateway endpoint is reached by S3's public addresses (a prefix list CloudFormation cannot name by
    // region without a lookup); the subnets have no route anywhere else, so HTTPS out reaches only the endpoints.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'S3 through the gateway endpoint');
    for (const [name, service] of [
      ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
      ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
      ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
    ] as const)
      vpc.addInterfaceEndpoint(name, { service, subnets, securityGroups: [props.endpointSecurityGroup], open: false });
    // Image layers (ECR keeps them in S3) and the archive bucket.
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [subnets] });

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      clusterName: this.clusterName,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const script = readFileSync(ARCHIVE_DUMP_SCRIPT, 'utf8');
    const repository = (name: string, path: string) => {
      const [repo, tag] = path.split(':') as [string, string | undefined];
      return {
        repo: ecr.Repository.fromRepositoryName(this, name, `${this.cachePrefix}/${repo}`),
        tag: tag ?? 'latest',
      };
    };
    const awsCli = repository('AwsCliImage', images.awsCli);
    const engineImages = new Map<string, ReturnType<typeof repository>>();

    for (const { drill, bucket } of props.archives) {
      const db = drill.database;
      const imageName = imageOf(db.engine);
      const engineImage =
        engineImages.get(imageName) ??
        engineImages.set(imageName, repository(`${imageName}Image`, images[imageName])).get(imageName);
      if (!engineImage) throw new Error(`no image for ${imageName}`);
      const taskRole = new iam.Role(this, `TaskRole-${db.id}`, {
        assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
        description: `Uploads archive dumps of ${db.id} into ${dumpPrefix(db.id)} of its archive bucket`,
      });
      // Only this database's dumps, only new objects: no read, no delete, no overwrite of a locked version.
      taskRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:PutObject'],
          resources: [bucket.arnForObjects(`${dumpPrefix(db.id)}*`)],
          conditions: { StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
        }),
      );
      // A multipart upload (a dump over the CLI's 8 MiB threshold) encrypts each part and decrypts to complete it.
      taskRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [props.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}` } },
        }),
      );
      const task = new ecs.FargateTaskDefinition(this, `Task-${db.id}`, {
        family: `${props.installation}-archive-dump-${db.id}`,
        cpu: props.cpu ?? 1024,
        memoryLimitMiB: props.memoryLimitMiB ?? 2048,
        ephemeralStorageGiB: props.ephemeralStorageGiB ?? 100,
        runtimePlatform: {
          cpuArchitecture: ecs.CpuArchitecture.X86_64,
          operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        },
        taskRole,
      });
      task.addVolume({ name: 'dump' });
      const executionRole = task.obtainExecutionRole();
      // The first pull of an image through the cache creates its repository and imports the image.
      executionRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'],
          resources: [engineImage.repo.repositoryArn, awsCli.repo.repositoryArn],
        }),
      );
      if (drill.credentialsKey)
        executionRole.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [drill.credentialsKey.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` } },
          }),
        );
      const environment = {
        [DUMP_ENV.engine]: db.engine,
        [DUMP_ENV.database]: db.id,
        [DUMP_ENV.databaseName]: drill.databaseName,
        [DUMP_ENV.dir]: '/dump',
        [DUMP_ENV.bucket]: bucket.bucketName,
        [DUMP_ENV.kmsKey]: props.key.keyArn,
      };
      const mount = { sourceVolume: 'dump', containerPath: '/dump', readOnly: false };
      const logging = (prefix: string) => ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: `${db.id}-${prefix}` });
      const dump = task.addContainer(DUMP_CONTAINERS.dump, {
        image: ecs.ContainerImage.fromEcrRepository(engineImage.repo, engineImage.tag),
        // It exits when the dump is written; the upload container, which is essential, then runs and ends the task.
        essential: false,
        entryPoint: ['sh', '-c'],
        command: [script, 'archive-dump', 'dump'],
        environment,
        secrets: {
          [DUMP_ENV.user]: ecs.Secret.fromSecretsManager(drill.credentials, 'username'),
          [DUMP_ENV.password]: ecs.Secret.fromSecretsManager(drill.credentials, 'password'),
        },
        logging: logging('dump'),
      });
      dump.addMountPoints(mount);
      const upload = task.addContainer(DUMP_CONTAINERS.upload, {
        image: ecs.ContainerImage.fromEcrRepository(awsCli.repo, awsCli.tag),
        essential: true,
        entryPoint: ['sh', '-c'],
        command: [script, 'archive-dump', 'upload'],
        environment,
        logging: logging('upload'),
      });
      upload.addMountPoints(mount);
      // COMPLETE, not SUCCESS: the upload always runs, and fails the task by name when the dump left no manifest.
      upload.addContainerDependencies({ container: dump, condition: ecs.ContainerDependencyCondition.COMPLETE });
      this.taskDefinitions[db.id] = task;
    }

    this.planner = new LambdaStep(this, 'PlanDump', DUMP_HANDLERS.planDump, {
      description: 'the plan of an archive dump after a passing drill',
      logKey: props.key,
    });
    for (const { drill, bucket } of props.archives)
      this.planner.allow(['s3:ListBucket'], [bucket.bucketArn], {
        StringLike: { 's3:prefix': `${dumpPrefix(drill.database.id)}*` },
      });
  }

  /**
   * What the state machine that runs the dump tasks may do: start the archive dump task definitions in this cluster,
   * pass their two roles to ECS, watch and stop this cluster's tasks, and keep the rule through which Step Functions
   * hears that a task stopped.
   */
  grantRun(role: iam.IGrantable): void {
    const stack = Stack.of(this);
    const definitions = Object.values(this.taskDefinitions);
    const clusterCondition = { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } };
    const statements = [
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: definitions.map((task) =>
          stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${task.family}:*` }),
        ),
        conditions: clusterCondition,
      }),
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: definitions.flatMap((task) => [task.taskRole.roleArn, task.obtainExecutionRole().roleArn]),
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
      new iam.PolicyStatement({
        actions: ['ecs:StopTask', 'ecs:DescribeTasks'],
        resources: [stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${this.clusterName}/*` })],
      }),
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForECSTaskRule',
          }),
        ],
      }),
    ];
    for (const statement of statements) role.grantPrincipal.addToPrincipalPolicy(statement);
  }

  /**
   * The archive states of a drill, entered after the checks: a passing drill of an archived database plans the dump
   * and, when one is due this month, runs the dump task; then `next` (the cleanup). A failure of the plan, the task or
   * the upload is alerted as `archive-dump-failed` and still goes on to `next`: the drill's verdict is the restore's.
   */
  states(scope: Construct, props: { readonly alerts: sns.ITopic; readonly next: sfn.IChainable }): sfn.IChainable {
    const alert = new tasks.SnsPublish(scope, 'Alert that the archive dump failed', {
      topic: props.alerts,
      subject: sfn.JsonPath.format('Lifeline: the archive dump of {} failed', sfn.JsonPath.stringAt('$.plan.database')),
      message: sfn.TaskInput.fromText(
        sfn.JsonPath.format(
          'The drill of {} passed: its restore is verified. But its archive dump was not stored, so this month has no restorable archive of the database yet; the next passing drill this month tries again. Read the dump task logs (the archive dump log group, streams <database>-dump and <database>-upload). Execution: {}. Error: {}',
          sfn.JsonPath.stringAt('$.plan.database'),
          sfn.JsonPath.stringAt('$$.Execution.Id'),
          sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.archiveError')),
        ),
      ),
      messageAttributes: {
        [ALERT_ATTRIBUTE.kind]: { value: 'archive-dump-failed' },
        [ALERT_ATTRIBUTE.database]: { value: sfn.JsonPath.stringAt('$$.Execution.Input.database') },
        [ALERT_ATTRIBUTE.execution]: { value: sfn.JsonPath.stringAt('$$.Execution.Id') },
      },
      resultPath: sfn.JsonPath.DISCARD,
    }).addRetry({ errors: SNS_PUBLISH_RETRY_ERRORS, interval: Duration.seconds(5), maxAttempts: 5 });
    // An alert that cannot be sent must not keep the drill database: on to the cleanup, the error kept in the state.
    alert.addCatch(props.next, { resultPath: '$.archiveAlertError' });
    alert.next(props.next);
    const onFailure = { resultPath: '$.archiveError' };

    const plan = this.planner
      .task(scope, 'Plan the archive dump', {
        input: {
          database: at('$.plan.database'),
          engine: at('$.plan.engine'),
          bucket: at('$.archiveBucket'),
          timeZone: at('$.plan.timeZone'),
          recoveryPoint: at('$.recoveryPoint'),
          endpoint: at('$.endpoint'),
          execution: at('$$.Execution.Id'),
        },
        resultPath: '$.archive',
      })
      .addCatch(alert, onFailure);
    const byDatabase = new sfn.Choice(scope, 'Which database is dumped?');
    const stack = Stack.of(this);
    const subnetIds = this.props.network.vpc.selectSubnets(this.props.network.subnets).subnetIds;
    for (const { drill } of this.props.archives) {
      const id = drill.database.id;
      const task = this.taskDefinitions[id] as ecs.FargateTaskDefinition;
      const environment = [
        { Name: DUMP_ENV.host, 'Value.$': '$.endpoint.host' },
        { Name: DUMP_ENV.port, 'Value.$': "States.Format('{}', $.endpoint.port)" },
        { Name: DUMP_ENV.engineVersion, 'Value.$': '$.archive.engineVersion' },
        { Name: DUMP_ENV.file, 'Value.$': '$.archive.dumpFile' },
        { Name: DUMP_ENV.dumpKey, 'Value.$': '$.archive.dumpKey' },
        { Name: DUMP_ENV.manifestKey, 'Value.$': '$.archive.manifestKey' },
        { Name: DUMP_ENV.archiveClass, 'Value.$': '$.archive.archiveClass' },
        { Name: DUMP_ENV.sourceSnapshot, 'Value.$': '$.archive.sourceSnapshot' },
        { Name: DUMP_ENV.execution, 'Value.$': '$$.Execution.Id' },
      ];
      // The .sync task as Amazon States Language, so that its role is granted only this cluster's tasks (CDK's
      // EcsRunTask grants ecs:StopTask and ecs:DescribeTasks on every task of the account).
      const run = new sfn.CustomState(scope, `Dump ${id} into the archive`, {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${stack.partition}:states:::ecs:runTask.sync`,
          Parameters: {
            Cluster: this.cluster.clusterArn,
            TaskDefinition: task.taskDefinitionArn,
            LaunchType: 'FARGATE',
            PlatformVersion: 'LATEST',
            NetworkConfiguration: {
              AwsvpcConfiguration: {
                Subnets: subnetIds,
                SecurityGroups: [this.securityGroup.securityGroupId],
                AssignPublicIp: 'DISABLED',
              },
            },
            Overrides: {
              ContainerOverrides: [DUMP_CONTAINERS.dump, DUMP_CONTAINERS.upload].map((name) => ({
                Name: name,
                Environment: environment,
              })),
            },
          },
          TimeoutSeconds: this.timeout.toSeconds(),
          ResultSelector: { 'stoppedAt.$': '$.StoppedAt', 'taskArn.$': '$.TaskArn' },
          ResultPath: '$.archiveTask',
        },
      });
      run.addCatch(alert, { ...onFailure, errors: ['States.ALL'] });
      byDatabase.when(sfn.Condition.stringEquals('$.plan.database', id), run.next(props.next));
    }
    byDatabase.otherwise(props.next);
    const due = new sfn.Choice(scope, 'Is an archive dump due?')
      .when(sfn.Condition.booleanEquals('$.archive.due', true), byDatabase)
      .otherwise(props.next);
    const bucketOf = new sfn.Choice(scope, 'Does the verified restore go into the archive?');
    for (const { drill, bucket } of this.props.archives)
      bucketOf.when(
        sfn.Condition.and(
          sfn.Condition.stringEquals('$.plan.database', drill.database.id),
          sfn.Condition.stringEquals('$.checks.verdict.status', 'passed'),
        ),
        new sfn.Pass(scope, `Archive into the bucket of ${drill.database.id}`, {
          result: sfn.Result.fromString(bucket.bucketName),
          resultPath: '$.archiveBucket',
        }).next(plan.next(due)),
      );
    bucketOf.otherwise(props.next);
    return bucketOf;
  }
}
