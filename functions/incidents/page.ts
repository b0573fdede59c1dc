import { PublishCommand } from '@aws-sdk/client-sns';
import { sns } from '../commons/aws';
import { IncidentNotFound, InvalidInput } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { env, now } from '../commons/runtime';
import { endWait } from './close';
import { INCIDENT_ENV, MAX_PAGES, type PageInput } from './contracts';
import { commandTarget, levels } from './levels';
import { pageMessage } from './messages';
import { getIncident, holdToken, type Incident, recordPaged } from './store';

const later = (at: Date, seconds: number) => new Date(at.getTime() + seconds * 1000).toISOString();

/**
 * The ladder's step at one level: records the page and the token its wait ends with, then pages the level's topic.
 * An incident acknowledged or resolved meanwhile is not paged: the wait ends at once with that outcome.
 */
export async function pageLevel(input: PageInput): Promise<void> {
  const all = levels();
  const index = all.findIndex((level) => level.name === input?.level);
  if (typeof input?.incident !== 'string' || typeof input.token !== 'string' || index < 0)
    throw new InvalidInput(
      `A page needs an incident, a level (${all.map((l) => l.name).join(', ')}) and the task token; got ${JSON.stringify(input)}`,
    );
  const level = all[index] as (typeof all)[number];
  const found = await getIncident(input.incident);
  if (!found) throw new IncidentNotFound(`No incident ${input.incident} in ${env(INCIDENT_ENV.table)}`);
  const at = now();
  const outcomeOf = (incident: Incident) => (incident.status === 'resolved' ? 'resolved' : 'acknowledged');
  if (found.status !== 'open') {
    await endWait(input.token, { outcome: outcomeOf(found) });
    return;
  }
  const incident = await holdToken(found.id, input.token);
  if (!incident) {
    const current = (await getIncident(found.id)) ?? found;
    await endWait(input.token, { outcome: outcomeOf(current) });
    return;
  }
  if (incident.paged.length >= MAX_PAGES) {
    logger.error('Stopped paging an incident nobody acknowledged; it stays open', { incident: incident.id });
    await endWait(input.token, { outcome: 'unanswered' });
    return;
  }
  const next = all[index + 1];
  const message = pageMessage(incident, {
    level,
    position: index + 1,
    of: all.length,
    next: next && { name: next.name, at: later(at, next.afterSeconds - level.afterSeconds) },
    repeatAt: next ? undefined : later(at, Number(env(INCIDENT_ENV.repeatSeconds))),
    ...commandTarget(),
  });
  await sns().send(
    new PublishCommand({
      TopicArn: level.topicArn,
      Subject: message.subject,
      Message: JSON.stringify(message.structured),
      MessageStructure: 'json',
    }),
  );
  await recordPaged(incident.id, { name: level.name, topicArn: level.topicArn, at: at.toISOString() });
  logger.info('Paged a level', { incident: incident.id, level: level.name, severity: incident.severity });
}

export const handler = lifelineHandler(pageLevel);
