import { PublishCommand } from '@aws-sdk/client-sns';
import { isOwnPoint } from '../backup/prune-plan';
import { vaultCopiesToDelete } from '../backup/vault-copy-plan';
import { rds, sns } from '../commons/aws';
import { ENV, TAG } from '../commons/contracts';
import { VaultPruneFailed } from '../commons/errors';
import { lifelineHandler, logger, metrics } from '../commons/handler';
import { deleteSnapshot, type Kind, listManualSnapshots, type Snapshot } from '../commons/rds-snapshots';
import { env, optionalEnv } from '../commons/runtime';
import { ALERT_ATTRIBUTE, EVERY_DATABASE } from '../incidents/contracts';
import type {
  PruneVaultInput,
  VaultDatabase,
  VaultDatabasePruned,
  VaultPruneOutput,
  VaultRetention,
} from './contracts';

const databasesOf = (): VaultDatabase[] => JSON.parse(env(ENV.vaultDatabases)) as VaultDatabase[];
const retentionOf = (): VaultRetention => JSON.parse(env(ENV.vaultRetention)) as VaultRetention;

/**
 * Prunes the vault, inside the vault account and with the vault's own role (production cannot assume it): for each
 * database copied to the vault, the copies this installation made for it that `vault.retention` no longer needs go,
 * as the GFS planner decides (never the newest verified copy, never below the configured counts, never a snapshot
 * that is not Lifeline's). A database that fails does not stop the others; any failure is alerted on the vault's
 * topic and fails the invocation.
 */
export async function pruneVault(_event: PruneVaultInput = {}): Promise<VaultPruneOutput> {
  const region = env('AWS_REGION');
  const account = env(ENV.vaultAccount);
  const installation = env(ENV.installation);
  const retention = retentionOf();
  const client = rds(region);
  const listed = new Map<Kind, Promise<Snapshot[]>>();
  const list = (kind: Kind) => {
    if (!listed.has(kind)) listed.set(kind, listManualSnapshots(client, kind));
    return listed.get(kind) as Promise<Snapshot[]>;
  };
  const results: VaultDatabasePruned[] = [];
  const failures: string[] = [];
  for (const db of databasesOf()) {
    try {
      const own = (await list(db.kind)).filter((s) => isOwnPoint(s, { database: db.id, installation }));
      const doomed = vaultCopiesToDelete(own, db.id, { ...retention, timeZone: db.timeZone }, installation);
      const deleted: string[] = [];
      for (const id of doomed) {
        logger.info('Deleting a vault copy the vault retention no longer needs', { database: db.id, snapshotId: id });
        await deleteSnapshot(client, db.kind, id);
        deleted.push(id);
      }
      const metric = metrics.singleMetric();
      metric.addDimension('database', db.id);
      metric.addMetric('VaultCopiesPruned', 'Count', deleted.length);
      results.push({ database: db.id, kept: own.length - deleted.length, deleted });
    } catch (error) {
      const { name, message } = error as Error;
      logger.error('Pruning the vault copies of a database failed', { database: db.id, error: error as Error });
      failures.push(`${db.id}: ${name}: ${message}`);
    }
  }
  if (failures.length > 0) {
    const where = `the vault (account ${account}, ${region})`;
    const message = [
      `Lifeline could not prune the vault copies in ${where} for ${failures.length === 1 ? 'this database' : 'these databases'}:`,
      ...failures.map((f) => `- ${f}`),
      '',
      `Nothing but what vault.retention lets go was deleted; the vault copies that were not pruned are all still there. What to do first: read the error above (an AccessDenied means the pruner's role or a copy's ${TAG.managedBy}/${TAG.installation} tags; a throttling error passes by itself). The pruner runs again tomorrow; until it succeeds the vault fills towards its manual snapshot quota, and once that is reached every vault copy fails. To prune now, invoke the function ${optionalEnv('AWS_LAMBDA_FUNCTION_NAME') ?? 'vault pruner'} in ${where} with {}.`,
    ].join('\n');
    await sns(region).send(
      new PublishCommand({
        TopicArn: env(ENV.alertsTopicArn),
        Subject: `Lifeline vault prune failed for ${failures.map((f) => f.split(':')[0]).join(', ')}`.slice(0, 99),
        Message: message,
        // The incident sink (with an escalation) opens one incident for the vault's pruning, whichever databases.
        MessageAttributes: {
          [ALERT_ATTRIBUTE.kind]: { DataType: 'String', StringValue: 'vault-prune-failed' },
          [ALERT_ATTRIBUTE.database]: { DataType: 'String', StringValue: EVERY_DATABASE },
        },
      }),
    );
    throw new VaultPruneFailed(message);
  }
  return { account, region, databases: results };
}

export const handler = lifelineHandler(pruneVault);
