import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../functions/commons/errors';
import { checkData } from '../../../functions/drill/check-data';
import { entry, latestCopy, secrets, useDrillEnvironment } from './drill-fixtures';

useDrillEnvironment();

describe('check-data credentials', () => {
  const input = {
    database: 'orders',
    engine: 'postgres',
    endpoint: { host: 'drill.invalid', port: 5432 },
    databaseName: 'orders',
    checks: entry.checks,
    recoveryPointTime: latestCopy.time,
    restoreStartedAt: '2026-11-22T10:05:00.000Z',
    objectives: { rpoSeconds: 86_400, rtoSeconds: 3_600 },
  };

  it('rejects a secret without a password before it connects', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'drill' }) });
    // Act
    const run = checkData({ ...input, credentialsSecret: 'lifeline/orders-drill' });
    // Assess
    await expect(run).rejects.toThrow(
      new InvalidInput('Secret lifeline/orders-drill must be JSON with username and password'),
    );
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'lifeline/orders-drill',
    });
  });
});
