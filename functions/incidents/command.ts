import { IncidentNotFound, InvalidInput } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { now } from '../commons/runtime';
import { acknowledgeIncident, resolveIncident } from './close';
import type { IncidentCommand, IncidentCommandOutcome } from './contracts';
import { commandTarget } from './levels';
import { commandLine } from './messages';
import { getIncident, unresolvedIncidents } from './store';

const INCIDENT_ID = /^[A-Za-z0-9_-]{1,80}$/;
/** Line breaks and control characters: SNS refuses a subject that has them, and they would garble a page. */
const hasControl = (text: string) => [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

function usage(): string {
  const target = commandTarget();
  return [
    'Usage (the payload of this function):',
    '  {"action":"acknowledge","incident":"<incident id>","by":"<your name>"}   stops the paging; you own it',
    '  {"action":"resolve","incident":"<incident id>","by":"<your name>","note":"<what fixed it>"}   closes it, tells those paged',
    '  {"action":"list"}   the incidents not resolved yet',
    `For example: ${commandLine('acknowledge', '<incident id>', target)}`,
  ].join('\n');
}

/** What is wrong with a command, before anything changes (none: undefined). */
export function problemOf(command: unknown): string | undefined {
  if (!command || typeof command !== 'object') return 'the payload is not a JSON object';
  const c = command as Record<string, unknown>;
  if (c.action === 'list') return undefined;
  if (c.action !== 'acknowledge' && c.action !== 'resolve')
    return `action is ${JSON.stringify(c.action)}: expected "acknowledge", "resolve" or "list"`;
  if (typeof c.incident !== 'string' || !INCIDENT_ID.test(c.incident))
    return `incident is ${JSON.stringify(c.incident)}: expected an incident id as the page shows it (letters, digits, - and _)`;
  if (
    typeof c.by !== 'string' ||
    c.by.trim().length === 0 ||
    c.by.length > 100 ||
    c.by === 'YOUR NAME' ||
    hasControl(c.by)
  )
    return 'by: say who you are (your name, one line of at most 100 characters): the people paged are told who has it';
  if (c.note !== undefined && (typeof c.note !== 'string' || c.note.length > 500 || hasControl(c.note)))
    return 'note: expected one line of text of at most 500 characters';
  return undefined;
}

/**
 * An operator acknowledges (the ladder stops paging; those paged are told who has it), resolves (the ladder stops,
 * those paged are told it is over), or lists the incidents not resolved. `by` is what the operator says: Lambda does
 * not tell a function who invoked it, CloudTrail's Invoke event does.
 */
export async function incidentCommand(command: IncidentCommand): Promise<IncidentCommandOutcome> {
  const problem = problemOf(command);
  if (problem) throw new InvalidInput(`${problem}. Nothing was changed.\n${usage()}`);
  if (command.action === 'list') {
    const incidents = (await unresolvedIncidents()).map((i) => ({
      id: i.id,
      status: i.status,
      severity: i.severity,
      openedAt: i.openedAt,
      summary: `${i.database}: ${i.summary}`,
    }));
    return {
      message: incidents.length === 0 ? 'No incident is open.' : `${incidents.length} incident(s) not resolved.`,
      incidents,
    };
  }
  const incident = await getIncident(command.incident);
  if (!incident)
    throw new IncidentNotFound(
      `No incident ${command.incident}. Nothing was changed. List the open ones with the payload {"action":"list"}.`,
    );
  const at = now().toISOString();
  const by = command.by.trim();
  const done =
    command.action === 'acknowledge'
      ? await acknowledgeIncident(incident, by, at)
      : await resolveIncident(incident, by, at, command.note ?? `resolved by hand by ${by}`);
  logger.info('Incident command', { incident: incident.id, action: command.action, by, changed: done.changed });
  return { message: done.message };
}

export const handler = lifelineHandler(incidentCommand);
