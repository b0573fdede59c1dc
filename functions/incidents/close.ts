/** Acknowledging and resolving, shared by the operator's command and the intake (an alarm back to OK, a good run). */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { sfn, sns } from '../commons/aws';
import { logger } from '../commons/handler';
import type { PageOutcome } from './contracts';
import { commandTarget } from './levels';
import { acknowledgedMessage, type Message, resolvedMessage } from './messages';
import { acknowledge, type Incident, resolve } from './store';

/** A token whose wait already ended (timed out into the next level, or answered) is no error here. */
const GONE = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/** Ends the ladder's current wait with `outcome`; a wait that is already over is left alone. */
export async function endWait(token: string | undefined, outcome: PageOutcome): Promise<void> {
  if (!token) return;
  try {
    await sfn().send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(outcome) }));
  } catch (error) {
    if (!GONE.has((error as Error).name)) throw error;
    logger.info('The ladder was no longer waiting on this token', { error: (error as Error).name });
  }
}

/** Publishes `message` once to each topic of the levels paged for `incident`. */
async function tellPaged(incident: Incident, message: Message): Promise<string[]> {
  const topics = [...new Set(incident.paged.map((level) => level.topicArn))];
  for (const topic of topics)
    await sns().send(
      new PublishCommand({
        TopicArn: topic,
        Subject: message.subject,
        Message: JSON.stringify(message.structured),
        MessageStructure: 'json',
      }),
    );
  return topics;
}

export type Closed = { readonly changed: boolean; readonly message: string };

export async function acknowledgeIncident(incident: Incident, by: string, at: string): Promise<Closed> {
  if (incident.status !== 'open')
    return {
      changed: false,
      message:
        incident.status === 'acknowledged'
          ? `Incident ${incident.id} was already acknowledged by ${incident.acknowledgedBy} at ${incident.acknowledgedAt}; nobody is paged for it.`
          : `Incident ${incident.id} is already resolved (${incident.resolution}); nobody is paged for it.`,
    };
  // As written: the token the ladder waits on now, and every level paged until now.
  const acknowledged = await acknowledge(incident.id, by, at);
  if (!acknowledged)
    return { changed: false, message: `Incident ${incident.id} changed meanwhile: run the command again to see it.` };
  await endWait(acknowledged.token, { outcome: 'acknowledged', by });
  await tellPaged(acknowledged, acknowledgedMessage(acknowledged, by, at, commandTarget()));
  return { changed: true, message: `Acknowledged incident ${incident.id}: paging stopped, and those paged were told.` };
}

export async function resolveIncident(incident: Incident, by: string, at: string, resolution: string): Promise<Closed> {
  if (incident.status === 'resolved')
    return { changed: false, message: `Incident ${incident.id} was already resolved: ${incident.resolution}` };
  if (!(await resolve(incident, by, at, resolution)))
    return { changed: false, message: `Incident ${incident.id} was resolved meanwhile.` };
  // An acknowledged incident's ladder has already stopped.
  if (incident.status === 'open') await endWait(incident.token, { outcome: 'resolved', by });
  const told = await tellPaged(incident, resolvedMessage(incident, by, at, resolution));
  return {
    changed: true,
    message: `Resolved incident ${incident.id}${told.length > 0 ? '; those paged were told' : ''}.`,
  };
}
