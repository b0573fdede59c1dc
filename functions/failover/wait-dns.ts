import { GetChangeCommand } from '@aws-sdk/client-route-53';
import { NotReady } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { now } from '../commons/runtime';
import { route53 } from './aws';
import type { DnsChange, WaitDnsInput } from './contracts';

/** NotReady until Route 53 says the change is INSYNC (on all its authoritative servers). */
export async function waitDns({ change }: WaitDnsInput): Promise<DnsChange> {
  if (change.insyncAt) return change;
  const out = await route53().send(new GetChangeCommand({ Id: change.changeId }));
  const status = out.ChangeInfo?.Status ?? 'unknown';
  if (status !== 'INSYNC') throw new NotReady(`Route 53 change ${change.changeId} is ${status}`);
  return { ...change, insyncAt: now().toISOString() };
}

export const handler = lifelineHandler(waitDns);
