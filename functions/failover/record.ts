import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { lifelineHandler, logger } from '../commons/handler';
import { env, now } from '../commons/runtime';
import { buildRecord, renderRecord } from './build-record';
import type { RecordInput, RecordOutput } from './contracts';

/** Where a failover's record lives in the reports bucket, without the extension: dated by the failover's start. */
export const recordKey = (plan: RecordInput['plan']) =>
  `failovers/${plan.database}/${plan.drill ? 'drills/' : ''}${plan.startedAt.slice(0, 10)}/${plan.execution.split(':').pop()}`;

/** Writes the failover record, JSON and HTML, into the locked reports bucket; returns it with its summary. */
export async function writeRecord(input: RecordInput): Promise<RecordOutput> {
  const bucket = env(ENV.reportsBucket);
  const record = buildRecord(input, now().toISOString());
  const key = recordKey(input.plan);
  const put = (suffix: string, Body: string, ContentType: string) =>
    s3().send(
      new PutObjectCommand({ Bucket: bucket, Key: `${key}${suffix}`, Body, ContentType, ChecksumAlgorithm: 'SHA256' }),
    );
  await put('.json', JSON.stringify(record, null, 2), 'application/json');
  await put('.html', renderRecord(record), 'text/html; charset=utf-8');
  const location = { json: `s3://${bucket}/${key}.json`, html: `s3://${bucket}/${key}.html` };
  logger.info('Failover record written', { database: record.database, status: record.status, location });
  return {
    record,
    location,
    subject:
      `Lifeline failover${record.drill ? ' drill' : record.dryRun ? ' dry run' : ''} of ${record.database}: ${record.status}`.slice(
        0,
        99,
      ),
    message: [
      record.summary,
      '',
      ...record.steps.map((s) => `${s.at ?? '-'}  ${s.step}${s.detail ? `: ${s.detail}` : ''}`),
      '',
      `Record: ${location.html}`,
    ].join('\n'),
  };
}

export const handler = lifelineHandler(writeRecord);
