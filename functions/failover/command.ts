import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { sfn } from '../commons/aws';
import { InvalidInput } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { now } from '../commons/runtime';
import {
  type ApprovalOutcome,
  FAILOVER_REJECTED,
  type FailoverCommand,
  type FailoverCommandOutcome,
} from './contracts';
import { ApprovalNotWaiting } from './errors';

const hasControl = (text: string) => [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** What is wrong with an approval command, before anything is sent (none: undefined). */
export function commandProblem(command: unknown): string | undefined {
  if (!command || typeof command !== 'object') return 'the payload is not a JSON object';
  const c = command as Record<string, unknown>;
  if (c.action !== 'approve' && c.action !== 'reject')
    return `action is ${JSON.stringify(c.action)}: expected "approve" or "reject"`;
  if (typeof c.token !== 'string' || c.token.length < 1 || c.token.length > 2048)
    return 'token: expected the token of the approval request, as the request shows it';
  if (typeof c.by !== 'string' || !c.by.trim() || c.by.length > 100 || c.by === 'YOUR NAME' || hasControl(c.by))
    return 'by: say who you are (your name, one line of at most 100 characters): the failover record says who approved';
  if (c.note !== undefined && (typeof c.note !== 'string' || c.note.length > 500 || hasControl(c.note)))
    return 'note: expected one line of text of at most 500 characters';
  return undefined;
}

/**
 * An operator approves (the failover goes ahead) or rejects (it stops, nothing changed) a waiting failover. `by` is
 * what the operator says: Lambda does not tell a function who invoked it, CloudTrail's Invoke event does.
 */
export async function failoverCommand(command: FailoverCommand): Promise<FailoverCommandOutcome> {
  const problem = commandProblem(command);
  if (problem)
    throw new InvalidInput(
      `${problem}. Nothing was sent. Usage: {"action":"approve"|"reject","token":"<the token in the request>","by":"<your name>","note":"<optional>"}`,
    );
  const by = command.by.trim();
  const at = now().toISOString();
  try {
    if (command.action === 'approve') {
      const outcome: ApprovalOutcome = { approved: true, by, at, ...(command.note ? { note: command.note } : {}) };
      await sfn().send(new SendTaskSuccessCommand({ taskToken: command.token, output: JSON.stringify(outcome) }));
    } else
      await sfn().send(
        new SendTaskFailureCommand({
          taskToken: command.token,
          error: FAILOVER_REJECTED,
          cause: `Rejected by ${by} at ${at}${command.note ? `: ${command.note}` : ''}`,
        }),
      );
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist')
      throw new ApprovalNotWaiting(
        `No failover waits for this token (${name}): its approval timed out, was answered already, or the token is mistyped. Nothing was sent.`,
      );
    throw error;
  }
  logger.info('Failover approval answered', { action: command.action, by });
  return {
    message:
      command.action === 'approve'
        ? `Approved by ${by}: the failover goes ahead.`
        : `Rejected by ${by}: the failover stops; nothing was changed.`,
  };
}

export const handler = lifelineHandler(failoverCommand);
