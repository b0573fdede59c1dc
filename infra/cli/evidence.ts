import { createHash } from 'node:crypto';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  ListExecutionsCommand,
  type ListExecutionsCommandOutput,
} from '@aws-sdk/client-sfn';
import type {
  BackupEvidence,
  DrillEvidence,
  ProtectedDatabase,
  Rollup,
  RollupInput,
  RollupPeriod,
} from '../../functions/evidence/contracts';
import { rollUp } from '../../functions/evidence/rollup';
import { DR_OUTPUT, PRIMARY_OUTPUT } from '../outputs';
import { call } from './aws';
import { type Installation, required } from './installation';
import { readHistory, readObject, reportsBucketOf } from './records';

/** Where the roll-up's evidence came from, and what it could not read (said in the output, never left out silently). */
export interface EvidenceSources {
  readonly read: readonly string[];
  readonly notRead: readonly string[];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The backup executions that started in the period (Step Functions keeps an execution's record 90 days). */
async function backupEvidence(installation: Installation, period: RollupPeriod): Promise<BackupEvidence[]> {
  const machine = required(installation, 'primary', PRIMARY_OUTPUT.backupStateMachineArn, 'the backup workflow');
  const region = installation.primaryRegion;
  const listed: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await call<ListExecutionsCommandOutput>(
      'states',
      region,
      new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1000, nextToken }),
    );
    const items = page.executions ?? [];
    listed.push(...items);
    // Newest first: once an execution started before the period, the rest did too.
    const oldest = items.at(-1)?.startDate?.toISOString();
    nextToken = oldest !== undefined && oldest < period.from ? undefined : page.nextToken;
  } while (nextToken);
  const inPeriod = listed.filter((e) => {
    const at = e.startDate?.toISOString() ?? '';
    return at >= period.from && at < period.to;
  });
  const evidence: BackupEvidence[] = [];
  for (const item of inPeriod) {
    const described = await call<DescribeExecutionCommandOutput>(
      'states',
      region,
      new DescribeExecutionCommand({ executionArn: item.executionArn }),
    );
    const { $metadata: _, ...record } = described;
    const database = (JSON.parse(described.input ?? '{}') as { database?: unknown }).database;
    if (typeof database !== 'string') continue;
    const output = described.output ? (JSON.parse(described.output) as { newestVerifiedCopyAgeSeconds?: number }) : {};
    evidence.push({
      database,
      execution: item.executionArn ?? '',
      status: (described.status ?? 'FAILED') as BackupEvidence['status'],
      startedAt: described.startDate?.toISOString() ?? '',
      ...(output.newestVerifiedCopyAgeSeconds === undefined
        ? {}
        : { newestVerifiedCopyAgeSeconds: output.newestVerifiedCopyAgeSeconds }),
      record: {
        kind: 'backup-execution',
        database,
        location: item.executionArn ?? '',
        sha256: sha256(JSON.stringify(record)),
      },
    });
  }
  return evidence;
}

/** Every drill in the histories up to the period's end; the reports of those in the period are read and hashed. */
async function drillEvidence(installation: Installation, period: RollupPeriod): Promise<DrillEvidence[]> {
  const bucket = reportsBucketOf(installation);
  const evidence: DrillEvidence[] = [];
  for (const db of installation.databases.filter((d) => d.drilled)) {
    const history = await readHistory(installation, db.id);
    for (const row of history?.drills ?? []) {
      if (row.startedAt >= period.to) continue;
      const inPeriod = row.startedAt >= period.from;
      const report = inPeriod ? await readObject(installation.drRegion, bucket, row.report.json) : undefined;
      evidence.push({
        database: db.id,
        status: row.status,
        startedAt: row.startedAt,
        rto: { outcome: row.rto.outcome, measuredSeconds: row.rto.measuredSeconds },
        rpo: { outcome: row.rpo.outcome, measuredSeconds: row.rpo.measuredSeconds },
        record: {
          kind: 'drill-report',
          database: db.id,
          location: `s3://${bucket}/${row.report.json}`,
          // Read only for the period's drills (the earlier ones tell only when the last one passed).
          sha256: report?.sha256 ?? (inPeriod ? 'missing: the report is not in the bucket' : 'not read'),
        },
      });
    }
  }
  return evidence;
}

/** The roll-up of what can be read now: the backup executions, the drill histories and their reports. */
export async function gatherEvidence(
  installation: Installation,
  period: RollupPeriod,
  now = new Date(),
): Promise<{ rollup: Rollup; sources: EvidenceSources }> {
  const databases: ProtectedDatabase[] = installation.databases.map((d) => ({
    id: d.id,
    engine: d.engine,
    rpoSeconds: d.rpoSeconds,
    rtoSeconds: d.rtoSeconds,
    ...(d.drillCadenceSeconds === undefined ? {} : { drillCadenceSeconds: d.drillCadenceSeconds }),
    retention: d.retention,
  }));
  const names = (text: string | undefined) => Object.keys(text ? (JSON.parse(text) as object) : {});
  const replicated = new Set(names(installation.dr?.[DR_OUTPUT.bucketReplicaNames]));
  const buckets = names(installation.primary?.[PRIMARY_OUTPUT.bucketNames]).map((id) => ({
    id,
    replicate: replicated.has(id),
  }));
  const [backups, drills] = await Promise.all([
    backupEvidence(installation, period),
    drillEvidence(installation, period),
  ]);
  const input: RollupInput = {
    installation: installation.name,
    period,
    generatedAt: now.toISOString(),
    databases,
    buckets,
    backups,
    drills,
    retention: [],
    replication: [],
  };
  const bucket = reportsBucketOf(installation);
  return {
    rollup: rollUp(input),
    sources: {
      read: [
        `backup executions of ${required(installation, 'primary', PRIMARY_OUTPUT.backupStateMachineArn, 'the backup workflow')} (Step Functions keeps them 90 days): ${backups.length} in the period`,
        `drill histories and reports in s3://${bucket}/history/ and drills/: ${drills.filter((d) => d.startedAt >= period.from).length} drills in the period`,
      ],
      notRead: [
        'retention checks: no record of them is kept yet, so retention compliance is shown as unknown',
        'replication verifications: not built yet, so no bucket is shown as verified',
        'failover drills: not built yet',
      ],
    },
  };
}
