import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Node's own import(), through a CommonJS module Node loads itself (vitest's module runner cannot import natively). */
const nativeImport = createRequire(import.meta.url)('./native-import.cjs') as (
  url: string,
) => Promise<Record<string, unknown>>;

/**
 * Runs the bundles `cdk synth` wrote as Lambda would: the asset's `index.mjs`, its `Handler` export, the
 * function's environment and its role's credentials. Several functions share this process, so each invocation
 * gets its own `process.env` and clock through an AsyncLocalStorage scope: inside an invocation `process.env` is
 * exactly that function's environment, and `Date` (hence `Date.now()` and `new Date()`) shows the simulated clock.
 * The bundles carry their own copies of Lifeline's modules and of the SDK; nothing reaches into them.
 */
export interface Invocation {
  readonly env: Record<string, string>;
  /** Simulated time in ms. */
  readonly now: () => number;
}

const scope = new AsyncLocalStorage<Invocation>();
const RealDate = globalThis.Date;
let installed = false;

/** Real time, whatever the current invocation's clock says (for the harness's own clocks). */
export const realNow = (): number => RealDate.now();

/** The simulated time of the current invocation, or real time outside one. */
export const clock = (): number => scope.getStore()?.now() ?? RealDate.now();

/** Replaces `process.env` and `Date` by views that follow the current invocation (once per process). */
export function installLambdaEmulation(): void {
  if (installed) return;
  installed = true;
  const real = process.env;
  process.env = new Proxy(real, {
    get: (target, key) => {
      const current = scope.getStore();
      return current && typeof key === 'string' ? current.env[key] : Reflect.get(target, key);
    },
    set: (target, key, value) => {
      const current = scope.getStore();
      if (current && typeof key === 'string') current.env[key] = String(value);
      else Reflect.set(target, key, value);
      return true;
    },
    deleteProperty: (target, key) => {
      const current = scope.getStore();
      if (current && typeof key === 'string') delete current.env[key];
      else Reflect.deleteProperty(target, key);
      return true;
    },
    has: (target, key) => {
      const current = scope.getStore();
      return current && typeof key === 'string' ? key in current.env : Reflect.has(target, key);
    },
    ownKeys: (target) => {
      const current = scope.getStore();
      return current ? Object.keys(current.env) : Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor: (target, key) => {
      const current = scope.getStore();
      if (!current || typeof key !== 'string') return Reflect.getOwnPropertyDescriptor(target, key);
      return key in current.env
        ? { value: current.env[key], writable: true, enumerable: true, configurable: true }
        : undefined;
    },
  });
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) => Reflect.construct(target, args.length ? args : [clock()], newTarget),
    apply: () => new RealDate(clock()).toString(),
    get: (target, key, receiver) => (key === 'now' ? clock : Reflect.get(target, key, receiver)),
  });
}

/** Variables of the test process a Lambda would not have: the harness's own credentials and endpoints. */
const NOT_ON_LAMBDA = /^(AWS_|POWERTOOLS_|CDK_|LIFELINE_)/;

export interface BundledFunction {
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  /** The asset directory `cdk synth` wrote (`<outdir>/asset.<hash>`). */
  readonly assetDir: string;
  /** `index.handler`, from the template. */
  readonly handler: string;
  readonly environment: Record<string, string>;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * Loaded bundles, one instance per `generation`: a fresh "deployment" gets cold starts, as a new Lambda version
 * would, so no client or cached credential survives into the next test's account.
 */
const loaded = new Map<string, Promise<Handler>>();

async function load(fn: BundledFunction, generation: number): Promise<Handler> {
  const [file, exported] = fn.handler.split('.') as [string, string];
  const url = `${pathToFileURL(join(fn.assetDir, `${file}.mjs`)).href}?deployment=${generation}`;
  let handler = loaded.get(url);
  if (!handler) {
    // A native import, not vitest's: the bundle runs as Node runs it on Lambda.
    handler = nativeImport(url).then((module) => {
      const found = module[exported];
      if (typeof found !== 'function') throw new Error(`${fn.name}: ${fn.assetDir} exports no ${exported}`);
      return found as Handler;
    });
    loaded.set(url, handler);
  }
  return handler;
}

/** Forgets the bundles of earlier deployments. */
export function forgetDeployment(generation: number): void {
  for (const url of loaded.keys()) if (url.endsWith(`?deployment=${generation}`)) loaded.delete(url);
}

export interface InvokeOptions {
  readonly generation: number;
  readonly credentials: Credentials;
  readonly endpoint: string;
  readonly now: () => number;
  /** Harness-only additions (quiet logs, switches of the local data plane). */
  readonly environment?: Record<string, string>;
}

/** Invokes a bundled function with `payload`; a thrown error comes back as Lambda reports it (name and message). */
export async function invokeBundled(fn: BundledFunction, payload: unknown, options: InvokeOptions): Promise<unknown> {
  installLambdaEmulation();
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => v !== undefined && !NOT_ON_LAMBDA.test(k)),
  ) as Record<string, string>;
  const env: Record<string, string> = {
    ...base,
    ...fn.environment,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    LAMBDA_TASK_ROOT: fn.assetDir,
    AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
    ...(options.credentials.sessionToken ? { AWS_SESSION_TOKEN: options.credentials.sessionToken } : {}),
    AWS_ENDPOINT_URL: options.endpoint,
    ...options.environment,
  };
  const started = RealDate.now();
  const context = {
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: String(fn.memorySize),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, fn.timeoutSeconds * 1000 - (RealDate.now() - started)),
  };
  return scope.run({ env, now: options.now }, async () => {
    const handler = await load(fn, options.generation);
    return handler(structuredClone(payload), context);
  });
}
