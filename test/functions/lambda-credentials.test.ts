import { RDSClient } from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../functions/commons/lambda-credentials';

const ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'] as const;
let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
  for (const name of ENV) delete process.env[name];
});
afterEach(() => {
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

// A client configured the way the bundles' runtime config configures it once the alias is in place.
const client = () => new RDSClient({ region: 'eu-central-1', credentialDefaultProvider: defaultProvider });

describe('lambda-credentials', () => {
  it("gives SDK clients the role's credentials Lambda puts in the environment", async () => {
    // Prepare
    process.env.AWS_ACCESS_KEY_ID = 'ASIAEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    process.env.AWS_SESSION_TOKEN = 'token';
    // Act
    const credentials = await client().config.credentials();
    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
  });

  it('fails plainly outside Lambda instead of looking elsewhere', async () => {
    // Prepare
    process.env.AWS_PROFILE = 'someone';
    // Act, Assess
    await expect(client().config.credentials()).rejects.toThrow('Unable to find environment variable credentials');
  });
});
