/**
 * `lifeline evidence`: the deployed evidence function rolls the period up and stores it in the reports bucket (the
 * same roll-up its schedules write); the CLI prints what was stored, checked against the checksum the function gave.
 */
import { InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { EvidenceOutcome, Rollup, RollupPeriod } from '../../functions/evidence/contracts';
import { DR_OUTPUT } from '../outputs';
import { call } from './aws';
import { environmentError } from './errors';
import { type Installation, required } from './installation';
import { readObject } from './records';

export interface StoredEvidence {
  readonly rollup: Rollup;
  /** What the function could not read; the roll-up shows it as not checked. */
  readonly unread: readonly string[];
  readonly outcome: EvidenceOutcome;
  /** The evidence page, when asked for. */
  readonly html?: string;
}

const keyOf = (uri: string) => {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw environmentError(`The evidence function answered an unexpected location: ${uri}`);
  return { bucket: match[1] as string, key: match[2] as string };
};

export async function rollUpEvidence(
  installation: Installation,
  period: RollupPeriod,
  options: { readonly html?: boolean } = {},
): Promise<StoredEvidence> {
  const functionName = required(installation, 'dr', DR_OUTPUT.evidenceFunctionName, 'the evidence function');
  const out = await call<InvokeCommandOutput>(
    'lambda',
    installation.drRegion,
    new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify({ period: period.label })) }),
  );
  const answer = JSON.parse(
    Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8') || '{}',
  ) as EvidenceOutcome & {
    errorType?: string;
    errorMessage?: string;
  };
  if (out.FunctionError)
    throw environmentError(
      `The evidence function ${functionName} failed: ${answer.errorType ?? 'error'}: ${answer.errorMessage ?? 'no message'}. First: read its logs in ${installation.drRegion} (CloudWatch log group /aws/lambda/${functionName}).`,
    );
  const json = keyOf(answer.json);
  const stored = await readObject(installation.drRegion, json.bucket, json.key);
  if (!stored) throw environmentError(`The evidence function wrote ${answer.json}, but it cannot be read back.`);
  if (stored.sha256 !== answer.sha256)
    throw environmentError(
      `${answer.json} does not match the checksum the evidence function gave (${answer.sha256}): it changed after it was written. Do not hand it to anyone; look at the object's versions.`,
    );
  const { unread, ...rollup } = JSON.parse(stored.text) as Rollup & { unread: string[] };
  const page = options.html ? keyOf(answer.html) : undefined;
  const html = page ? (await readObject(installation.drRegion, page.bucket, page.key))?.text : undefined;
  return { rollup, unread, outcome: answer, ...(html === undefined ? {} : { html }) };
}
