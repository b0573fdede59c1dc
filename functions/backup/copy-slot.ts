import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamodb } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { NoCopySlot } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { env, now } from '../commons/runtime';
import type { CopySlotInput, CopySlotOutput } from './contracts';
import { decideAcquire, decideRelease, EMPTY_SLOT_STATE, type SlotState } from './copy-slots';

/** A lease outlives the longest copy Lifeline waits for, so a stopped execution frees its slot eventually. */
const LEASE_MS = 26 * 3600 * 1000;

/**
 * The DynamoDB adapter of the copy-slot semaphore: one item per destination region, read, decided by the
 * pure core, written back only if nobody else wrote in between.
 */
export async function copySlot(input: CopySlotInput): Promise<CopySlotOutput> {
  const table = env(ENV.copySlotsTable);
  const limit = Number(env(ENV.copySlotLimit));
  const key = { pk: { S: `copy-slots#${input.region}` } };
  for (let attempt = 0; attempt < 10; attempt++) {
    const item = (await dynamodb().send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
    const state: SlotState = item
      ? { leases: JSON.parse(item.leases?.S ?? '[]'), version: Number(item.version?.N ?? 0) }
      : EMPTY_SLOT_STATE;
    if (input.action === 'release') {
      const decision = decideRelease(state, input.holder);
      if (!decision.released) return { inUse: state.leases.length, limit, released: false };
      if (await write(table, key, state.version, decision.state))
        return { inUse: decision.state.leases.length, limit, released: true };
      continue;
    }
    const decision = decideAcquire(state, input.holder, { limit, now: now().getTime(), leaseMs: LEASE_MS });
    if (decision.kind === 'already-held') return { inUse: decision.state.leases.length, limit };
    const full = () =>
      new NoCopySlot(decision.state.leases.length, limit, decision.kind === 'full' ? decision.retryAfterMs : undefined);
    if (decision.kind === 'full' && decision.reclaimed.length === 0) throw full();
    if (decision.reclaimed.length > 0) logger.warn('Reclaimed expired copy slots', { holders: decision.reclaimed });
    if (!(await write(table, key, state.version, decision.state))) continue;
    if (decision.kind === 'full') throw full();
    return { inUse: decision.state.leases.length, limit };
  }
  // Ten writers in a row got in first: the slots are contended, which is the same as full.
  throw new NoCopySlot(limit, limit);
}

async function write(
  table: string,
  key: Record<string, { S: string }>,
  expected: number,
  next: SlotState,
): Promise<boolean> {
  try {
    await dynamodb().send(
      new PutItemCommand({
        TableName: table,
        Item: { ...key, leases: { S: JSON.stringify(next.leases) }, version: { N: String(next.version) } },
        ConditionExpression: 'attribute_not_exists(pk) OR version = :expected',
        ExpressionAttributeValues: { ':expected': { N: String(expected) } },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException')
      return false;
    throw error;
  }
}

export const handler = lifelineHandler(copySlot);
