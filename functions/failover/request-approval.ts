import { PublishCommand } from '@aws-sdk/client-sns';
import { sns } from '../commons/aws';
import { lifelineHandler, logger } from '../commons/handler';
import { env } from '../commons/runtime';
import { ALERT_ATTRIBUTE } from '../incidents/contracts';
import { approvalMessage } from './approval-message';
import { FAILOVER_ENV, type RequestApprovalInput } from './contracts';

/**
 * Asks for the approval of a failover (the task waits for its token): publishes what will happen and the exact
 * approve and reject commands to the alert topic, tagged so that the incident sink opens an incident and pages.
 */
export async function requestApproval({ plan, precheck, token }: RequestApprovalInput): Promise<void> {
  const where = { functionName: env(FAILOVER_ENV.commandFunction), region: env('AWS_REGION') };
  const { subject, message } = approvalMessage(plan, precheck, token, where);
  await sns().send(
    new PublishCommand({
      TopicArn: env(FAILOVER_ENV.approvalTopicArn),
      Subject: subject,
      Message: message,
      MessageAttributes: {
        [ALERT_ATTRIBUTE.kind]: { DataType: 'String', StringValue: 'failover-approval' },
        [ALERT_ATTRIBUTE.database]: { DataType: 'String', StringValue: plan.database },
        [ALERT_ATTRIBUTE.execution]: { DataType: 'String', StringValue: plan.execution },
      },
    }),
  );
  logger.info('Failover approval requested', { database: plan.database, execution: plan.execution });
}

export const handler = lifelineHandler(requestApproval);
