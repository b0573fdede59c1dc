import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { lifelineHandler, logger } from '../commons/handler';
import { now } from '../commons/runtime';
import { route53 } from './aws';
import type { DnsChange, SwitchDnsInput } from './contracts';

/**
 * Route 53 errors the state retries rather than this function: a change of the zone still in progress, and
 * throttling. Step Functions sees them by these names (the SDK's own retries are spent first).
 */
export const DNS_RETRY_ERRORS = ['PriorRequestNotComplete', 'Throttling', 'ThrottlingException'];

/**
 * UPSERTs the failover record as a CNAME to `value` (the recovered endpoint; a rollback passes the old one), with the
 * configured TTL. Idempotent: a retry of the same UPSERT leaves the same record.
 */
export async function switchDns({ plan, value, reason }: SwitchDnsInput): Promise<DnsChange> {
  const { hostedZoneId, recordName, ttl } = plan.settings;
  const submittedAt = now().toISOString();
  const out = await route53().send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      ChangeBatch: {
        Comment:
          `Lifeline ${reason} of ${plan.database} (${plan.scenario}), execution ${plan.execution.split(':').pop()}`.slice(
            0,
            256,
          ),
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: { Name: recordName, Type: 'CNAME', TTL: ttl, ResourceRecords: [{ Value: value }] },
          },
        ],
      },
    }),
  );
  const changeId = (out.ChangeInfo?.Id ?? '').replace(/^\/change\//, '');
  logger.info('Route 53 change submitted', { recordName, value, reason, changeId });
  return {
    changeId,
    submittedAt,
    value,
    ...(out.ChangeInfo?.Status === 'INSYNC' ? { insyncAt: now().toISOString() } : {}),
  };
}

export const handler = lifelineHandler(switchDns);
