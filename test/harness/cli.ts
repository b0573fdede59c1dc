import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { Template } from 'aws-cdk-lib/assertions';
import { PROJECT_ROOT } from '../../state-machines/lifeline-function';
import { ACCOUNT } from './cloud';
import type { LocalRole } from './iam';
import { evaluateRun } from './iam-evaluation';
import { type Credentials, invokeBundled, realNow } from './lambda-runtime';
import type { LocalAws } from './local-aws';
import { type RunOptions, runWorkflow, type WorkflowRun } from './run-workflow';
import type { SynthesizedStack } from './synth';

/**
 * What the `lifeline` CLI needs of a deployment that the harness's "deploy" does not make: CloudFormation stacks
 * with their outputs. Each synthesized stack is created in moto's CloudFormation as a stack of the same name whose
 * only resource is a WaitConditionHandle and whose outputs are the synthesized ones, resolved against what the
 * harness created in moto. Returns the resolved outputs by stack name.
 */
export async function createStacksWithOutputs(aws: LocalAws): Promise<Record<string, Record<string, string>>> {
  const created: Record<string, Record<string, string>> = {};
  for (const stack of [aws.app.templates.dr, aws.app.templates.primary, aws.app.templates.vault]) {
    if (!stack) continue;
    const synthesized = (stack.template as { Outputs?: Record<string, { Value: unknown; Description?: string }> })
      .Outputs;
    const outputs = Object.fromEntries(
      Object.entries(synthesized ?? {}).map(([key, o]) => [key, String(aws.cloud.resolve(stack, o.Value))]),
    );
    const template = {
      Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      Outputs: Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, { Value: value }])),
    };
    await aws
      .client(CloudFormationClient, stack.region, stack.account)
      .send(new CreateStackCommand({ StackName: stack.name, TemplateBody: JSON.stringify(template) }));
    created[stack.name] = outputs;
  }
  return created;
}

/**
 * Runs every execution the CLI (or anything) starts, in-process as the harness runs workflows, under the name
 * StartExecution gave it, with its states entered written to its history: DescribeExecution and GetExecutionHistory
 * then answer as Step Functions would while it runs and once it ended. `options` are the runs' own (faults, what
 * happens while a task waits for its token, variables of the functions' environment).
 */
export function runStartedExecutions(
  aws: LocalAws,
  options: Pick<RunOptions, 'faults' | 'events' | 'environment'> = {},
): { readonly runs: Promise<WorkflowRun>[] } {
  const control = aws.cloud.stepFunctions;
  const runs: Promise<WorkflowRun>[] = [];
  control.onStart = (started) => {
    const machine = aws.cloud.stateMachines.get(started.stateMachineArn);
    if (!machine) return;
    const startDate = new Date();
    const base = {
      executionArn: started.executionArn,
      stateMachineArn: started.stateMachineArn,
      startDate,
      input: started.input,
    };
    control.executions.push({ ...base, status: 'RUNNING' });
    const history: { id: number; type: string; timestamp: Date; stateEnteredEventDetails?: { name: string } }[] = [
      { id: 1, type: 'ExecutionStarted', timestamp: startDate },
    ];
    control.histories.set(started.executionArn, history);
    const run = runWorkflow(aws.cloud, machine, started.input, {
      ...options,
      executionName: started.name,
      onState: (name, type) =>
        history.push({
          id: history.length + 1,
          type: `${type}StateEntered`,
          timestamp: new Date(),
          stateEnteredEventDetails: { name },
        }),
    }).then((result) => {
      history.push({
        id: history.length + 1,
        type: `Execution${result.status === 'SUCCEEDED' ? 'Succeeded' : 'Failed'}`,
        timestamp: new Date(),
      });
      const at = control.executions.findIndex((e) => e.executionArn === started.executionArn);
      control.executions[at] = {
        ...base,
        status: result.status,
        stopDate: new Date(),
        ...(result.output === undefined ? {} : { output: result.output }),
        ...(result.error ? { error: result.error } : {}),
        ...(result.cause ? { cause: result.cause } : {}),
      };
      return result;
    });
    runs.push(run);
  };
  return { runs };
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the `lifeline` bin as a person would (node and the launcher, a process of its own) against the harness:
 * AWS_ENDPOINT_URL is the wire proxy (or `endpoint`), credentials the given ones (the deployer's by default), nothing else of this
 * process's AWS environment.
 */
export function runCli(
  aws: LocalAws,
  args: readonly string[],
  options: { credentials?: Credentials | null; region?: string; endpoint?: string } = {},
): Promise<CliRun> {
  const credentials = options.credentials === undefined ? aws.cloud.accounts.admin(ACCOUNT) : options.credentials;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ENDPOINT_URL: options.endpoint ?? aws.wire.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    ...(options.region ? { AWS_REGION: options.region } : {}),
    ...(credentials
      ? { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey }
      : {}),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'infra', 'cli', 'lifeline.mjs'), ...args], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Lambda's Invoke, answered by the bundled function itself: a call to `/functions/<name>/invocations` for a function
 * of the deployment runs its bundle in this process under its own role (as the CLI's `ack`, `incidents` and
 * `evidence` invoke them), and answers as Lambda does, with `X-Amz-Function-Error` when the handler threw. The
 * caller's own permission to invoke is not checked here (moto has no such function to check it against).
 */
export function bridgeLambdaInvoke(aws: LocalAws): () => void {
  return aws.wire.use({
    async before(call) {
      const name = /^POST \/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(call.action)?.[1];
      if (call.service !== 'lambda' || !name) return undefined;
      const wanted = decodeURIComponent(name);
      const fn = [...aws.cloud.functions.values()].find((f) => f.name === wanted || f.arn === wanted);
      if (!fn) return undefined;
      const credentials = await aws.cloud.credentials(fn.roleArn);
      const headers = { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' };
      try {
        const result = await invokeBundled(fn, call.body ? JSON.parse(call.body) : {}, {
          generation: aws.cloud.generation,
          credentials,
          endpoint: aws.cloud.endpoint,
          now: realNow,
          environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
        });
        return { status: 200, headers, body: JSON.stringify(result ?? null) };
      } catch (error) {
        return {
          status: 200,
          headers: { ...headers, 'x-amz-function-error': 'Unhandled' },
          body: JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message }),
        };
      }
    },
  });
}

/**
 * A person holding the deployed `<name>-operator` policy, as IAM would judge them: a user moto lets do anything (it
 * checks actions only), whose calls `judge` evaluates on their resources against that policy alone (or `policy`,
 * e.g. the deployed one with a statement left out), with what AWS implies (KMS through S3) included.
 */
export async function asOperator(aws: LocalAws, userName = 'on-call') {
  const iam = aws.client(IAMClient, 'us-east-1');
  await iam.send(new CreateUserCommand({ UserName: userName }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: userName,
      PolicyName: 'anything',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
      }),
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;
  const credentials = { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' };
  const dr = aws.app.templates.dr as SynthesizedStack;
  const [managed] = Object.values(
    Template.fromJSON(dr.template as never).findResources('AWS::IAM::ManagedPolicy', {
      Properties: { ManagedPolicyName: `${aws.app.config.name}-operator` },
    }),
  );
  if (!managed) throw new Error('the DR template has no operator policy');
  const document = aws.cloud.resolve(dr, managed.Properties.PolicyDocument) as { Statement: { Sid?: string }[] };
  const arn = `arn:aws:iam::${ACCOUNT}:user/${userName}`;
  const first = aws.wire.calls.length;
  /** The calls made with the operator's key since `asOperator`, as `<service>:<action>`. */
  const calls = () => aws.wire.calls.slice(first).filter((c) => c.accessKeyId === credentials.accessKeyId);
  const judge = (policy: unknown = document) => {
    const role: LocalRole = {
      arn,
      account: ACCOUNT,
      name: userName,
      stack: dr.name,
      logicalId: 'OperatorPolicy',
      trust: {},
      policies: [{ name: 'operator', document: policy }],
    };
    const run = { calls: calls().map((c) => ({ ...c, roleArn: arn })) } as unknown as WorkflowRun;
    return evaluateRun(aws, run, { roles: new Map([[arn, role]]) });
  };
  /** The deployed policy without the statement `sid`. */
  const without = (sid: string) => ({ ...document, Statement: document.Statement.filter((st) => st.Sid !== sid) });
  return { credentials, calls, judge, without };
}
