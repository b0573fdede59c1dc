import { type Duration, Token } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { SEVERITIES, type Severity } from '../functions/incidents/contracts';
import { refuse } from './databases';

export { SEVERITIES, type Severity };

/**
 * Someone a level pages, as SNS delivers to them. An SNS topic is no contact: SNS subscribes endpoints (e-mail, SMS,
 * HTTP/S, SQS, Lambda, Firehose, mobile apps), never another topic.
 */
export type Contact =
  /** An e-mail address; SNS sends it a confirmation link first and delivers nothing until it is followed. */
  | { readonly type: 'email'; readonly address: string }
  /** A mobile number in E.164 form (+4915112345678); needs no confirmation. */
  | { readonly type: 'sms'; readonly phoneNumber: string }
  /**
   * An HTTPS endpoint such as a pager's or a chat tool's SNS integration URL. SNS posts its JSON envelope (raw delivery
   * is off) and first a SubscriptionConfirmation, which the endpoint must confirm; a plain chat webhook that cannot
   * confirm never receives a page.
   */
  | { readonly type: 'https'; readonly url: string };

export interface EscalationLevel {
  /** The level's name: lower-case letters, digits and single hyphens, part of its topic's name. */
  readonly name: string;
  /** How long after the incident began this level is paged; the first level's is zero. */
  readonly after: Duration;
  /** Who this level pages: at least one, each once. */
  readonly contacts: readonly Contact[];
}

export interface EscalationLevelsProps {
  /** The levels in the order they are paged: the first at once, each later one strictly after the one before. */
  readonly levels: readonly EscalationLevel[];
  /** Key the topics are encrypted with; whoever publishes a page needs kms:GenerateDataKey* and kms:Decrypt on it. */
  readonly key: kms.IKey;
  /** Prefix of the topic names, `<installation>-page-<level>`. @default 'lifeline' */
  readonly installation?: string;
  /**
   * The level where paging starts for each severity, by name; a severity left out starts at the first level.
   * @default - every severity starts at the first level
   */
  readonly startAt?: Partial<Record<Severity, string>>;
}

/** A level as the ladder climbs it: its topic, and when it is paged. */
export interface PagedLevel {
  readonly name: string;
  readonly after: Duration;
  readonly topic: sns.ITopic;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const LEVEL_NAME = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,31}$/;

/**
 * One SNS topic per escalation level in this region, encrypted with `key` and refusing plain HTTP, with the level's
 * contacts subscribed. It pages nobody by itself: a ladder publishes to `topicFor(severity)` and climbs `levelsFrom`.
 *
 * SMS from an encrypted topic needs nothing more than e-mail or HTTPS: SNS stores messages encrypted and decrypts them
 * itself when it sends them, to any protocol (SNS Developer Guide, "Encryption at rest"), so only publishers need the
 * key. What SMS does need lies outside the stack: the account must leave the SMS sandbox (until then only verified
 * numbers, at most 10, receive anything, and spending is capped at USD 1 a month), the region must offer SMS, and some
 * countries require an origination identity (SNS Developer Guide, "SMS sandbox").
 */
export class EscalationLevels extends Construct {
  /** One topic per level, in the order the levels are paged. */
  readonly topics: readonly sns.Topic[];
  /** The levels with their topics, in the order they are paged. */
  readonly levels: readonly PagedLevel[];
  /** The level where paging starts for each severity, by name, as given. */
  readonly startAt: Partial<Record<Severity, string>>;
  private readonly start: Record<Severity, number>;

  constructor(scope: Construct, id: string, props: EscalationLevelsProps) {
    super(scope, id);
    refuse('EscalationLevels', problemsOfLevels(props.levels, props.startAt ?? {}));
    const installation = props.installation ?? 'lifeline';
    this.topics = props.levels.map((level) => {
      const topic = new sns.Topic(this, `Level-${level.name}`, {
        topicName: `${installation}-page-${level.name}`,
        // SNS puts the display name in the From of e-mails; SMS show at most its first characters.
        displayName: `Lifeline ${level.name}`,
        masterKey: props.key,
        enforceSSL: true,
      });
      for (const contact of level.contacts) topic.addSubscription(subscriptionOf(contact));
      return topic;
    });
    this.levels = props.levels.map((level, i) => ({
      name: level.name,
      after: level.after,
      topic: this.topics[i] as sns.Topic,
    }));
    const startAt = props.startAt ?? {};
    this.startAt = startAt;
    this.start = Object.fromEntries(
      SEVERITIES.map((severity) => {
        const name = startAt[severity];
        return [severity, name === undefined ? 0 : props.levels.findIndex((level) => level.name === name)];
      }),
    ) as Record<Severity, number>;
  }

  /** The topic of the first level paged for an incident of `severity`. */
  topicFor(severity: Severity): sns.ITopic {
    return this.levelsFrom(severity)[0]?.topic as sns.ITopic;
  }

  /** The levels an incident of `severity` climbs: from its starting level to the last. */
  levelsFrom(severity: Severity): readonly PagedLevel[] {
    return this.levels.slice(this.start[severity]);
  }
}

function subscriptionOf(contact: Contact): sns.ITopicSubscription {
  switch (contact.type) {
    case 'email':
      return new subs.EmailSubscription(contact.address);
    case 'sms':
      return new subs.SmsSubscription(contact.phoneNumber);
    case 'https':
      return new subs.UrlSubscription(contact.url, {
        protocol: sns.SubscriptionProtocol.HTTPS,
        rawMessageDelivery: false,
      });
  }
}

function contactText(contact: Contact): string {
  return contact.type === 'email' ? contact.address : contact.type === 'sms' ? contact.phoneNumber : contact.url;
}

function contactProblem(contact: Contact): string | undefined {
  const text = contactText(contact);
  if (Token.isUnresolved(text)) return undefined;
  if (contact.type === 'email' && !EMAIL.test(text)) return `"${text}" is not an e-mail address`;
  if (contact.type === 'sms' && !E164.test(text))
    return `"${text}" is not a phone number in E.164 form (+ country code and number, no spaces)`;
  if (contact.type === 'https' && !/^https:\/\/[^/\s]+\.[^/\s]+(\/\S*)?$/.test(text))
    return `"${text}" is not an https:// URL`;
  return undefined;
}

/** What is wrong with a set of levels, in the words of the props (none: []). */
export function problemsOfLevels(
  levels: readonly EscalationLevel[],
  startAt: Partial<Record<Severity, string>>,
): string[] {
  const problems: string[] = [];
  if (levels.length === 0) problems.push('levels: needs at least one level');
  const first = levels[0];
  if (first && first.after.toSeconds() !== 0)
    problems.push(
      `levels[0] (${first.name}): is paged after ${first.after.toHumanString()}; the first level must be 0`,
    );
  levels.forEach((level, i) => {
    const at = `levels[${i}] (${level.name})`;
    if (!LEVEL_NAME.test(level.name))
      problems.push(`${at}: the name must be lower-case letters, digits and single hyphens, starting with a letter`);
    const before = levels[i - 1];
    if (before && level.after.toSeconds() <= before.after.toSeconds())
      problems.push(
        `${at}: is paged after ${level.after.toHumanString()}, not later than ${before.name} (${before.after.toHumanString()})`,
      );
    if (levels.findIndex((other) => other.name === level.name) !== i)
      problems.push(`${at}: the name is used by an earlier level`);
    if (level.contacts.length === 0) problems.push(`${at}: has no contact`);
    const texts = level.contacts.map(contactText);
    level.contacts.forEach((contact, c) => {
      const problem = contactProblem(contact);
      if (problem) problems.push(`${at}.contacts[${c}]: ${problem}`);
      if (texts.indexOf(texts[c] as string) !== c) problems.push(`${at}.contacts[${c}]: "${texts[c]}" is listed twice`);
    });
  });
  for (const [severity, name] of Object.entries(startAt)) {
    if (!(SEVERITIES as readonly string[]).includes(severity))
      problems.push(`startAt.${severity}: is not a severity (${SEVERITIES.join(', ')})`);
    if (name !== undefined && !levels.some((level) => level.name === name))
      problems.push(`startAt.${severity}: "${name}" is not a level (${levels.map((l) => l.name).join(', ')})`);
  }
  return problems;
}
