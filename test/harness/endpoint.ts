import { launchMoto } from './moto';

/**
 * Where the harness's AWS is. By default the embedded moto: a server of this test file's own (moto_server.py), reset
 * before each test, with IAM enforced. With `LIFELINE_TEST_ENDPOINT` set (e.g. http://localhost:4566 for LocalStack,
 * or a moto server started apart), that endpoint instead: the harness starts nothing and calls none of moto's own
 * APIs (`/moto-api/*`). What only the embedded moto gives is asked for through this interface; where an endpoint
 * lacks it, the tests that need it are skipped with the reason in `needs`. Test files share an external endpoint (and
 * its reset): run them one after the other, as `npm run test:endpoint` does (test/harness/run-against-endpoint.ts).
 */
export interface AwsEndpoint {
  /** The endpoint every client calls (through the wire proxy). */
  readonly url: string;
  /** True for the moto this process started. */
  readonly embedded: boolean;
  /** Forgets every resource, so a test starts from empty accounts. Undefined when the endpoint gives no way to. */
  readonly reset?: () => Promise<void>;
  /**
   * Turns IAM enforcement on after the next `initialCalls` unauthenticated calls (moto's reset-auth, which also
   * forgets every resource). Undefined when the endpoint does not enforce IAM: every signed call is then allowed.
   */
  readonly enforceIam?: (initialCalls: number) => Promise<void>;
  stop(): Promise<void>;
}

/** The endpoint given to the tests instead of the embedded moto, if any. */
export const EXTERNAL_ENDPOINT = process.env.LIFELINE_TEST_ENDPOINT?.trim() || undefined;
/**
 * A URL to POST to for a reset of the external endpoint between tests, if it has one: LocalStack's
 * `http://localhost:4566/_localstack/state/reset`, a moto server's `http://HOST:PORT/moto-api/reset`. The harness
 * itself knows neither: whoever points the tests at an endpoint says how it is reset.
 */
export const EXTERNAL_RESET_URL = process.env.LIFELINE_TEST_RESET_URL?.trim() || undefined;

/**
 * What a test needs of the embedded moto, said as the reason it does not run against the endpoint given ("it
 * needs …"); undefined where it runs. For `it.skipIf(needs.x !== undefined)` and the like, with the reason in the test's report.
 */
export const needs = {
  /** A reset between the tests of a file (each starts from empty accounts). */
  reset:
    EXTERNAL_ENDPOINT && !EXTERNAL_RESET_URL
      ? `a reset between tests, and ${EXTERNAL_ENDPOINT} has none the harness knows (set LIFELINE_TEST_RESET_URL)`
      : undefined,
  /** IAM enforced: calls a policy does not allow are denied. */
  iam: EXTERNAL_ENDPOINT
    ? `IAM enforced, which the harness turns on only in the embedded moto (its reset-auth); ${EXTERNAL_ENDPOINT} allows every call`
    : undefined,
} as const;

/**
 * Starts the embedded moto (returns at once with a function that waits until it answers, so the caller can
 * synthesize meanwhile), or checks that the external endpoint answers.
 */
export async function launchEndpoint(): Promise<() => Promise<AwsEndpoint>> {
  const external = EXTERNAL_ENDPOINT;
  if (external) return () => externalEndpoint(external, EXTERNAL_RESET_URL);
  const ready = await launchMoto();
  return async () => {
    const moto = await ready();
    return {
      url: moto.endpoint,
      embedded: true,
      reset: () => moto.reset(),
      enforceIam: (initialCalls) => moto.resetAuth(initialCalls),
      stop: () => moto.stop(),
    };
  };
}

/** An endpoint started by someone else, checked to answer; reset by POST `resetUrl` if given. */
export async function externalEndpoint(url: string, resetUrl: string | undefined): Promise<AwsEndpoint> {
  try {
    // Any HTTP answer will do (an emulator answers an unsigned GET / with an error document): it listens.
    await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new Error(
      `LIFELINE_TEST_ENDPOINT=${url} does not answer (${(error as Error).message}): start it first (LocalStack: localstack start -d; a moto server: python3 test/harness/moto_server.py -p 5000), or unset LIFELINE_TEST_ENDPOINT for the embedded moto.`,
    );
  }
  return {
    url: url.replace(/\/+$/, ''),
    embedded: false,
    ...(resetUrl
      ? {
          async reset() {
            const res = await fetch(resetUrl, { method: 'POST' });
            if (!res.ok) throw new Error(`The reset of ${url} (POST ${resetUrl}) failed: ${res.status}`);
          },
        }
      : {}),
    // Nothing to stop: whoever started it stops it.
    async stop() {},
  };
}
