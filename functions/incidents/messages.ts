/**
 * What a page, an acknowledgement and a resolve say, for each kind of subscriber: e-mail and HTTPS get the whole
 * text, SMS the essentials with the acknowledge command. Pure: no SDK, no clock.
 */
import { type EscalationLevelEnv, EVERY_DATABASE } from './contracts';
import type { Incident } from './store';

/** An instant as people read it at 3 a.m.: `2026-12-01 02:05 UTC`. */
export function readableTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

const subjectOf = (incident: Incident) => (incident.database === EVERY_DATABASE ? 'every database' : incident.database);

/** The exact command that acknowledges or resolves `incident`, with the function and region it runs in. */
export function commandLine(
  action: 'acknowledge' | 'resolve',
  incident: string,
  where: { functionName: string; region: string },
): string {
  const payload = JSON.stringify({ action, incident, by: 'YOUR NAME' });
  return `aws lambda invoke --region ${where.region} --function-name ${where.functionName} --cli-binary-format raw-in-base64-out --payload '${payload}' /dev/stdout`;
}

export interface PageContext {
  readonly level: EscalationLevelEnv;
  /** 1-based position of the level on the whole ladder, and how many levels there are. */
  readonly position: number;
  readonly of: number;
  /** The level paged next unless someone acknowledges, and when; absent at the top (it is paged again). */
  readonly next?: { readonly name: string; readonly at: string };
  readonly repeatAt?: string;
  readonly functionName: string;
  readonly region: string;
}

export interface Message {
  readonly subject: string;
  /** SNS MessageStructure json: a text per protocol, `default` for the others. */
  readonly structured: { default: string; email: string; sms: string; https: string };
}

const LINK_NAMES: Record<string, string> = { execution: 'Execution', alarm: 'Alarm', report: 'Report' };

/** Console address of a Step Functions execution, from its ARN. */
export function executionConsoleLink(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? '';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

function linkLines(incident: Incident): string[] {
  return Object.entries(incident.links).map(([name, value]) => {
    const shown = name === 'execution' && value.startsWith('arn:') ? executionConsoleLink(value) : value;
    return `  ${LINK_NAMES[name] ?? name}: ${shown}`;
  });
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 3)}...`);

/** A subject SNS takes: one line of printable ASCII, under 100 characters. */
const subjectLine = (text: string) =>
  clip(
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^\x20-\x7e]+/g, ' ')
      .replace(/ {2,}/g, ' ')
      .trim(),
    99,
  );

/** A page of `incident` to one level. */
export function pageMessage(incident: Incident, ctx: PageContext): Message {
  const who = subjectOf(incident);
  const ack = commandLine('acknowledge', incident.id, ctx);
  const then = ctx.next
    ? `Unless someone acknowledges, ${ctx.next.name} is paged at ${readableTime(ctx.next.at)}.`
    : `This is the last level: it is paged again${ctx.repeatAt ? ` at ${readableTime(ctx.repeatAt)}` : ''} until someone acknowledges.`;
  const seen =
    incident.occurrences > 1
      ? ` Seen ${incident.occurrences} times, last at ${readableTime(incident.lastSeenAt)}.`
      : '';
  const latest =
    incident.occurrences > 1 && incident.lastDetail && incident.lastDetail !== incident.detail
      ? ['', 'Latest occurrence:', incident.lastDetail]
      : [];
  const full = [
    `[${incident.severity}] ${who}: ${incident.summary}`,
    '',
    `Incident ${incident.id}, severity ${incident.severity}, open since ${readableTime(incident.openedAt)}.${seen}`,
    `Paging level ${ctx.position} of ${ctx.of} (${ctx.level.name}). ${then}`,
    '',
    'What broke:',
    incident.detail || incident.summary,
    ...latest,
    '',
    `What to do first: ${incident.firstStep}`,
    ...(Object.keys(incident.links).length > 0 ? ['', 'Links:', ...linkLines(incident)] : []),
    '',
    'Acknowledge (stops the paging; you own the incident now):',
    `  ${ack}`,
    'Resolve (once it is fixed; tells everyone paged):',
    `  ${commandLine('resolve', incident.id, ctx)}`,
  ].join('\n');
  const sms = clip(
    `[${incident.severity}] Lifeline ${who}: ${clip(incident.summary, 120)}. Incident ${incident.id}. ${ctx.next ? `${ctx.next.name} paged at ${readableTime(ctx.next.at).slice(11)}.` : ''} Ack: ${ack}`,
    1200,
  );
  return {
    subject: subjectLine(`[${incident.severity}] Lifeline ${who}: ${incident.summary}`),
    structured: { default: full, email: full, https: full, sms },
  };
}

/** Tells the levels already paged that someone acknowledged: the paging stopped, who has it. */
export function acknowledgedMessage(
  incident: Incident,
  by: string,
  at: string,
  where: { functionName: string; region: string },
): Message {
  const who = subjectOf(incident);
  const text = [
    `Acknowledged: incident ${incident.id} (${incident.severity}, ${who}: ${incident.summary}) was acknowledged by ${by} at ${readableTime(at)}. Paging has stopped; ${by} owns it.`,
    '',
    `When it is fixed, resolve it: ${commandLine('resolve', incident.id, where)}`,
  ].join('\n');
  return {
    subject: subjectLine(`[${incident.severity}] Acknowledged by ${by}: ${who}: ${incident.summary}`),
    structured: {
      default: text,
      email: text,
      https: text,
      sms: clip(`Lifeline incident ${incident.id} acknowledged by ${by}. Paging stopped.`, 300),
    },
  };
}

/** Tells the levels already paged that the incident is resolved, by whom or by what. */
export function resolvedMessage(incident: Incident, by: string, at: string, resolution: string): Message {
  const who = subjectOf(incident);
  const text = [
    `Resolved: incident ${incident.id} (${incident.severity}, ${who}: ${incident.summary}) was resolved at ${readableTime(at)} by ${by}: ${resolution}`,
    `It was open since ${readableTime(incident.openedAt)}${incident.occurrences > 1 ? `, seen ${incident.occurrences} times` : ''}. Nobody is paged for it any more; a new failure opens a new incident.`,
  ].join('\n');
  return {
    subject: subjectLine(`[${incident.severity}] Resolved: ${who}: ${incident.summary}`),
    structured: {
      default: text,
      email: text,
      https: text,
      sms: clip(`Lifeline incident ${incident.id} resolved by ${by}: ${resolution}`, 300),
    },
  };
}
