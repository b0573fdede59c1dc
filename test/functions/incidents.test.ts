import { describe, expect, it } from 'vitest';
import { problemOf } from '../../functions/incidents/command';
import { INCIDENT_KINDS } from '../../functions/incidents/contracts';
import { alarmSubject, incidentId, readSns } from '../../functions/incidents/intake';
import { commandLine, pageMessage, readableTime } from '../../functions/incidents/messages';
import type { Incident } from '../../functions/incidents/store';

const alarm = (name: string, state: string, description = 'What it means. First: do this.') => ({
  Sns: {
    Message: JSON.stringify({
      AlarmName: name,
      AlarmDescription: description,
      NewStateValue: state,
      NewStateReason: 'Threshold Crossed',
      StateChangeTime: '2026-12-01T02:05:00.000+0000',
      AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`,
    }),
  },
});

describe('what the intake makes of an alarm', () => {
  it('reads the database and the kind from the name, the longest kind first', () => {
    expect(alarmSubject('lifeline-orders-no-recent-copy', 'lifeline')).toEqual({
      database: 'orders',
      kind: 'no-recent-copy',
    });
    // A database id with hyphens, and a kind that ends like a shorter one.
    expect(alarmSubject('shop-order-db-drill-rto-missed', 'shop')).toEqual({
      database: 'order-db',
      kind: 'drill-rto-missed',
    });
    expect(alarmSubject('lifeline-backup-executions-failed', 'lifeline')).toEqual({
      database: '*',
      kind: 'backup-executions-failed',
    });
    // Another installation's alarm, the ladder's own alarms, and anything else are not Lifeline's to page for.
    expect(alarmSubject('other-orders-no-recent-copy', 'lifeline')).toBeUndefined();
    expect(alarmSubject('lifeline-escalation-executions-failed', 'lifeline')).toBeUndefined();
    expect(alarmSubject('lifeline-cpu-high', 'lifeline')).toBeUndefined();
  });

  it('opens on ALARM with the description split into what broke and what to do first', () => {
    const reading = readSns(alarm('lifeline-orders-no-recent-copy', 'ALARM'), 'lifeline');
    expect(reading).toEqual({
      type: 'open',
      report: {
        database: 'orders',
        kind: 'no-recent-copy',
        summary: INCIDENT_KINDS['no-recent-copy'].what,
        detail: 'What it means.\nAlarm lifeline-orders-no-recent-copy: Threshold Crossed',
        firstStep: 'do this.',
        links: {
          alarm:
            'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/lifeline-orders-no-recent-copy',
        },
      },
    });
  });

  it('resolves on OK only the alarms that measure a state; a drill incident waits for a passing drill', () => {
    expect(readSns(alarm('lifeline-orders-no-recent-copy', 'OK'), 'lifeline')).toEqual({
      type: 'close',
      database: 'orders',
      kinds: ['no-recent-copy'],
      why: 'its alarm lifeline-orders-no-recent-copy returned to OK at 2026-12-01 02:05 UTC',
    });
    expect(readSns(alarm('lifeline-orders-drill-failed', 'OK'), 'lifeline')).toMatchObject({ type: 'ignore' });
    // A failover stopped mid-way: its alarm is OK five minutes later, and that proves nobody looked.
    expect(readSns(alarm('lifeline-failover-executions-aborted', 'OK'), 'lifeline')).toMatchObject({
      type: 'ignore',
      why: expect.stringContaining('closes when resolved'),
    });
    expect(readSns(alarm('lifeline-failover-executions-aborted', 'ALARM'), 'lifeline')).toMatchObject({
      type: 'open',
      report: { kind: 'failover-executions-aborted' },
    });
    expect(readSns(alarm('lifeline-orders-no-recent-copy', 'INSUFFICIENT_DATA'), 'lifeline')).toMatchObject({
      type: 'ignore',
    });
  });

  it('ignores a message that is neither a tagged failure alert nor an alarm, saying what it was', () => {
    expect(readSns({ Sns: { Subject: 'hello', Message: 'not json' } }, 'lifeline')).toEqual({
      type: 'ignore',
      why: 'a message that is neither a tagged failure alert nor an alarm: "hello"',
    });
    expect(
      readSns(
        {
          Sns: {
            Message: 'x',
            MessageAttributes: { 'lifeline.kind': { Type: 'String', Value: 'toString' } },
          },
        },
        'lifeline',
      ),
    ).toEqual({ type: 'ignore', why: 'a failure alert of unknown kind "toString"' });
  });
});

describe('incident ids', () => {
  it('are typeable, in UTC to the second, and fit an execution name', () => {
    expect(incidentId('orders', 'backup-failed', '2026-12-01T02:05:09.123Z')).toBe(
      'orders-backup-failed-20261201-020509',
    );
    expect(incidentId('*', 'backup-executions-failed', '2026-12-01T02:05:09Z')).toBe(
      'all-backup-executions-failed-20261201-020509',
    );
    const long = incidentId('d'.repeat(64), 'drill-rto-missed', '2026-12-01T02:05:09Z');
    expect(long).toHaveLength(80);
    expect(long).toMatch(/^[A-Za-z0-9_-]+-drill-rto-missed-20261201-020509$/);
  });
});

const incident: Incident = {
  id: 'orders-backup-failed-20261201-020500',
  database: 'orders',
  kind: 'backup-failed',
  severity: 'P2',
  status: 'open',
  openedAt: '2026-12-01T02:05:00.000Z',
  lastSeenAt: '2026-12-01T02:35:00.000Z',
  occurrences: 3,
  summary: 'backup failed for orders: Create the snapshot',
  detail: 'Error: SnapshotQuotaExceeded',
  firstStep: 'Delete old manual snapshots, then re-run the backup.',
  links: { execution: 'arn:aws:states:eu-central-1:123456789012:execution:lifeline-backup:run-1' },
  paged: [],
};
const where = { functionName: 'lifeline-incident-command', region: 'eu-west-1' };

describe('a page', () => {
  it('says what broke, since when, the severity and level, what to do first, the links and how to acknowledge', () => {
    const message = pageMessage(incident, {
      level: { name: 'on-call', topicArn: 'arn:aws:sns:eu-west-1:1:lifeline-page-on-call', afterSeconds: 0 },
      position: 1,
      of: 4,
      next: { name: 'tech-lead', at: '2026-12-01T02:50:00.000Z' },
      ...where,
    });
    expect(message.subject).toBe('[P2] Lifeline orders: backup failed for orders: Create the snapshot');
    const text = message.structured.email;
    expect(text).toContain(
      'Incident orders-backup-failed-20261201-020500, severity P2, open since 2026-12-01 02:05 UTC.',
    );
    expect(text).toContain('Seen 3 times, last at 2026-12-01 02:35 UTC.');
    expect(text).toContain(
      'Paging level 1 of 4 (on-call). Unless someone acknowledges, tech-lead is paged at 2026-12-01 02:50 UTC.',
    );
    expect(text).toContain('What to do first: Delete old manual snapshots, then re-run the backup.');
    expect(text).toContain(
      'Execution: https://eu-central-1.console.aws.amazon.com/states/home?region=eu-central-1#/v2/executions/details/arn:aws:states:eu-central-1:123456789012:execution:lifeline-backup:run-1',
    );
    expect(text).toContain(commandLine('acknowledge', incident.id, where));
    expect(text).toContain(commandLine('resolve', incident.id, where));
    // The text message carries the command too, and stays short enough for a few SMS segments.
    expect(message.structured.sms).toContain(commandLine('acknowledge', incident.id, where));
    expect(message.structured.sms.length).toBeLessThan(600);
  });

  it('keeps the subject within what SNS takes (under 100 characters)', () => {
    const long = pageMessage(
      { ...incident, summary: 'x'.repeat(300) },
      { level: { name: 'cto', topicArn: 't', afterSeconds: 3600 }, position: 4, of: 4, ...where },
    );
    expect(long.subject.length).toBeLessThan(100);
    expect(long.subject).toMatch(/^[\x20-\x7e]+\.\.\.$/);
    // Only printable ASCII on one line: SNS refuses control characters in a subject.
    const odd = pageMessage(
      { ...incident, summary: 'Überlauf\nbei „orders“' },
      { level: { name: 'cto', topicArn: 't', afterSeconds: 3600 }, position: 4, of: 4, ...where },
    );
    expect(odd.subject).toBe('[P2] Lifeline orders: Uberlauf bei orders');
    expect(long.structured.default).toContain('This is the last level: it is paged again until someone acknowledges.');
  });

  it('shows times with their zone', () => {
    expect(readableTime('2026-12-01T02:05:59.999Z')).toBe('2026-12-01 02:05 UTC');
  });
});

describe('an operator command', () => {
  it('is refused before anything changes when it is malformed, saying what is wrong', () => {
    expect(problemOf({ action: 'ack', incident: 'x', by: 'Dana' })).toBe(
      'action is "ack": expected "acknowledge", "resolve" or "list"',
    );
    expect(problemOf({ action: 'acknowledge', incident: 'x y', by: 'Dana' })).toMatch(/^incident is "x y": expected/);
    // The page's placeholder left in: the people paged would be told "YOUR NAME" has it.
    expect(problemOf({ action: 'acknowledge', incident: 'x', by: 'YOUR NAME' })).toMatch(/^by: say who you are/);
    // A line break would end up in the notices' subject, which SNS refuses after the acknowledgement was recorded.
    expect(problemOf({ action: 'acknowledge', incident: 'x', by: 'Dana\nSubject: x' })).toMatch(/^by: say who you are/);
    expect(problemOf({ action: 'resolve', incident: 'x', by: 'Sam', note: 5 })).toBe(
      'note: expected one line of text of at most 500 characters',
    );
    expect(problemOf(null)).toBe('the payload is not a JSON object');
    expect(problemOf({ action: 'list' })).toBeUndefined();
    expect(
      problemOf({ action: 'resolve', incident: 'orders-backup-failed-20261201-020500', by: 'Sam' }),
    ).toBeUndefined();
  });
});
