import type { FailoverCatalogEntry, FailoverSettings } from '../../../functions/failover/contracts';
import type { RecoveryFacts } from '../../../functions/failover/plan-recovery';

export const entry = (over: Partial<FailoverCatalogEntry> = {}): FailoverCatalogEntry => ({
  id: 'orders',
  kind: 'instance',
  identifier: 'orders-prod',
  engine: 'postgres',
  rpoSeconds: 900,
  rtoSeconds: 3600,
  continuous: null,
  instanceClass: 'db.t4g.medium',
  credentialsSecret: 'lifeline/orders/drill',
  databaseName: 'orders',
  checks: [{ type: 'rowCount', table: 'orders', min: 1 }],
  drillRecordName: 'drill-orders.db.example.com',
  ...over,
});

export const settings = (over: Partial<FailoverSettings> = {}): FailoverSettings => ({
  hostedZoneId: 'Z0123456789ABC',
  recordName: 'db.example.com',
  ttl: 60,
  primaryRegion: 'eu-central-1',
  corruptionRestoreRegion: 'dr',
  approvalWaivable: true,
  approvalTimeoutSeconds: 1800,
  healthCheckId: null,
  ...over,
});

export const NOW = '2026-12-01T10:00:00.000Z';

export const facts = (over: Partial<RecoveryFacts> = {}): RecoveryFacts => ({
  now: NOW,
  drRegion: 'eu-west-1',
  replica: null,
  globalCluster: null,
  automatedBackups: [],
  drCopies: [],
  vaultCopies: null,
  ...over,
});

export const copy = (id: string, time: string) => ({
  id,
  arn: `arn:aws:rds:eu-west-1:123456789012:snapshot:${id}`,
  time,
});
