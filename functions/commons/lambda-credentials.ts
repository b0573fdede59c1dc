import { fromEnv } from '@aws-sdk/credential-providers';

/**
 * The default credential chain of the deployed bundles: esbuild puts this module in the place of
 * `@aws-sdk/credential-provider-node` (BUNDLE_ALIASES in infra/constructs/lifeline-function.ts), which every SDK
 * client's runtime config imports, and `fromTemporaryCredentials` too for the credentials it assumes a role with.
 *
 * Lambda gives a function its role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN, and the SDK's own chain tries the environment first, so on Lambda both chains answer the
 * same. The SDK's chain goes on to SSO, shared config files, credential processes, web identity and container or
 * instance metadata, none of which answers on Lambda; bundled, they were a third of every function
 * (~130 KB of STS, SSO and sign-in clients and their providers) and made each bundle import `node:http` as ESM
 * at start-up, which loads undici on Node 24 (tens of milliseconds of cold start).
 *
 * Tests and the local harness run the sources unbundled and so keep the SDK's full chain.
 */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
