/** What the drill handler tests share: the mocked AWS clients, the environment the drill stack gives, plans, a clock. */
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, vi } from 'vitest';
import type { DrillPlan, RecoveryPoint } from '../../../functions/drill/contracts';
import { ordersDrillEntry } from '../../fixtures/drill-catalog';

export const rds = mockClient(RDSClient);
export const kms = mockClient(KMSClient);
export const s3 = mockClient(S3Client);
export const secrets = mockClient(SecretsManagerClient);

/** The drill functions' environment for each test, and mocks and clock reset after it. */
export function useDrillEnvironment(): void {
  beforeEach(() => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('DR_KEY_ALIAS', 'alias/lifeline-dr');
    vi.stubEnv('DRILL_SUBNET_GROUP', 'lifeline-drill-subnets');
    vi.stubEnv('DRILL_SECURITY_GROUP', 'sg-0drill');
    vi.stubEnv('REPORTS_BUCKET', 'lifeline-reports');
    vi.stubEnv('LIFELINE_INSTALLATION', 'lifeline');
  });
  afterEach(() => {
    rds.reset();
    kms.reset();
    s3.reset();
    secrets.reset();
    vi.unstubAllEnvs();
    vi.useRealTimers();
  });
}

/** Runs `fn` with the function's clock fixed at `iso` (until the test ends or the next `at`). */
export const at = <T>(iso: string, fn: () => T): T => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(iso);
  return fn();
};
export const later = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();
export const tags = (record: Record<string, string>) => Object.entries(record).map(([Key, Value]) => ({ Key, Value }));
export const awsError = (name: string) => Object.assign(new Error('not found'), { name });

export const entry = ordersDrillEntry;
export const plan: DrillPlan = {
  ...entry,
  database: 'orders',
  recoveryPoint: { type: 'latest' },
  drillId: 'lifeline-drill-orders-1a2b3c4d',
  execution: 'arn:aws:states:eu-west-1:123456789012:execution:lifeline-drill:run-1',
  startedAt: '2026-11-22T10:00:00.000Z',
  trigger: { type: 'manual', startedBy: null },
};
export const clusterPlan: DrillPlan = {
  ...plan,
  id: 'shop',
  kind: 'cluster',
  identifier: 'shop-prod',
  engine: 'aurora-postgresql',
  database: 'shop',
  drillId: 'lifeline-drill-shop-5e6f7a8b',
};
export const latestCopy: RecoveryPoint = {
  type: 'latest-copy',
  id: 'lifeline-orders-20261122t0200',
  time: '2026-11-22T02:00:00.000Z',
};
