import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LocalCloud } from './cloud';

/**
 * What `ecs:runTask.sync` does in the harness: the containers of the task definition, as synthesized, run as local
 * processes, with no image: each container's entry point and command run on this machine (so the tools they call,
 * pg_dump, mariadb-dump, sha256sum and the AWS CLI, are this machine's), in the order its `DependsOn` gives
 * (COMPLETE: after the other exits; SUCCESS: after it exits 0). Each gets the template's environment, the run's
 * overrides, its `Secrets` read from Secrets Manager (moto) with the execution role's credentials, and the task role's
 * credentials as ECS's credential endpoint would give them; AWS_ENDPOINT_URL points the AWS CLI at the wire proxy
 * (moto). A volume is a temporary directory, put where the environment names its container path. Not emulated: the
 * image pull, the network (the task reaches what this machine reaches), CPU, memory, disk and the task timeout.
 * The task fails (States.TaskFailed, as Step Functions reports it) when an essential container exits non-zero.
 */
export async function runEcsTask(cloud: LocalCloud, region: string, parameters: RunTaskParameters): Promise<unknown> {
  const definition = cloud.taskDefinitions.get(parameters.TaskDefinition);
  if (!definition) throw new Error(`ecs:runTask: no task definition ${parameters.TaskDefinition} in the harness`);
  const props = (definition.stack.template.Resources[definition.logicalId]?.Properties ?? {}) as Record<
    string,
    unknown
  >;
  const containers = cloud.resolve(definition.stack, props.ContainerDefinitions) as ContainerDefinition[];
  const executionRole = String(cloud.resolve(definition.stack, props.ExecutionRoleArn));
  const taskRole = String(cloud.resolve(definition.stack, props.TaskRoleArn));
  const secrets = new SecretsManagerClient({
    region,
    endpoint: cloud.endpoint,
    credentials: await cloud.credentials(executionRole),
  });
  const taskCredentials = await cloud.credentials(taskRole);
  const volumes = new Map<string, string>();
  for (const volume of (props.Volumes as { Name: string }[] | undefined) ?? [])
    volumes.set(volume.Name, mkdtempSync(join(tmpdir(), `lifeline-ecs-${volume.Name}-`)));
  const taskArn = `arn:aws:ecs:${region}:${definition.stack.account}:task/${parameters.Cluster.split('/').pop()}/${Date.now().toString(16)}`;
  const exits = new Map<string, number>();
  const logs: string[] = [];
  try {
    for (const container of inDependencyOrder(containers)) {
      const ready = (container.DependsOn ?? []).every(({ ContainerName, Condition }) => {
        if (Condition === 'COMPLETE') return exits.has(ContainerName);
        if (Condition === 'SUCCESS') return exits.get(ContainerName) === 0;
        throw new Error(`ecs:runTask: the harness does not emulate the ${Condition} dependency condition`);
      });
      if (!ready) continue;
      const environment: Record<string, string> = {};
      for (const { Name, Value } of container.Environment ?? []) environment[Name] = Value;
      const overrides = parameters.Overrides?.ContainerOverrides?.find((o) => o.Name === container.Name);
      for (const { Name, Value } of overrides?.Environment ?? []) environment[Name] = Value;
      for (const { Name, ValueFrom } of container.Secrets ?? [])
        environment[Name] = await secretValue(secrets, ValueFrom);
      for (const mount of container.MountPoints ?? []) {
        const dir = volumes.get(mount.SourceVolume);
        if (!dir) throw new Error(`ecs:runTask: ${container.Name} mounts ${mount.SourceVolume}, which is no volume`);
        for (const [name, value] of Object.entries(environment))
          if (value === mount.ContainerPath) environment[name] = dir;
      }
      const [program, ...args] = [...(container.EntryPoint ?? []), ...(container.Command ?? [])];
      if (!program) throw new Error(`ecs:runTask: ${container.Name} has no entry point or command`);
      const { code, output } = await run(program, args, {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? tmpdir(),
        ...environment,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ACCESS_KEY_ID: taskCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: taskCredentials.secretAccessKey,
        ...(taskCredentials.sessionToken ? { AWS_SESSION_TOKEN: taskCredentials.sessionToken } : {}),
        AWS_ENDPOINT_URL: cloud.endpoint,
      });
      exits.set(container.Name, code);
      logs.push(`${container.Name} exited ${code}:\n${output.trim()}`);
    }
  } finally {
    for (const dir of volumes.values()) rmSync(dir, { recursive: true, force: true });
  }
  const failed = containers.filter((c) => c.Essential !== false && exits.get(c.Name) !== 0);
  const description = {
    TaskArn: taskArn,
    LastStatus: 'STOPPED',
    StopCode: 'EssentialContainerExited',
    StoppedAt: Date.now(),
    Containers: containers.map((c) => ({ Name: c.Name, ExitCode: exits.get(c.Name) ?? null })),
  };
  if (failed.length > 0)
    throw Object.assign(
      new Error(JSON.stringify({ ...description, StoppedReason: 'Essential container in task exited', logs })),
      { name: 'States.TaskFailed' },
    );
  return description;
}

export interface RunTaskParameters {
  readonly Cluster: string;
  readonly TaskDefinition: string;
  readonly Overrides?: {
    readonly ContainerOverrides?: readonly {
      readonly Name: string;
      readonly Environment?: readonly { Name: string; Value: string }[];
    }[];
  };
}

interface ContainerDefinition {
  readonly Name: string;
  readonly Essential?: boolean;
  readonly EntryPoint?: string[];
  readonly Command?: string[];
  readonly Environment?: { Name: string; Value: string }[];
  readonly Secrets?: { Name: string; ValueFrom: string }[];
  readonly MountPoints?: { SourceVolume: string; ContainerPath: string }[];
  readonly DependsOn?: { ContainerName: string; Condition: string }[];
}

function inDependencyOrder(containers: readonly ContainerDefinition[]): ContainerDefinition[] {
  const ordered: ContainerDefinition[] = [];
  const visit = (c: ContainerDefinition, path: string[]) => {
    if (ordered.includes(c)) return;
    if (path.includes(c.Name)) throw new Error(`ecs:runTask: containers depend on each other: ${path.join(' → ')}`);
    for (const dep of c.DependsOn ?? []) {
      const other = containers.find((o) => o.Name === dep.ContainerName);
      if (other) visit(other, [...path, c.Name]);
    }
    ordered.push(c);
  };
  for (const c of containers) visit(c, []);
  return ordered;
}

/** A `ValueFrom` as ECS reads it: `<secret arn>[:<json key>:<version stage>:<version id>]`. */
async function secretValue(client: SecretsManagerClient, valueFrom: string): Promise<string> {
  const parts = valueFrom.split(':');
  const secretId = parts.slice(0, 7).join(':');
  const [jsonKey, versionStage, versionId] = parts.slice(7);
  const secret = await client.send(
    new GetSecretValueCommand({
      SecretId: secretId,
      VersionStage: versionStage || undefined,
      VersionId: versionId || undefined,
    }),
  );
  if (!jsonKey) return secret.SecretString ?? '';
  const value = (JSON.parse(secret.SecretString ?? '{}') as Record<string, unknown>)[jsonKey];
  if (value === undefined) throw new Error(`ecs:runTask: secret ${secretId} has no key ${jsonKey}`);
  return String(value);
}

function run(program: string, args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}
