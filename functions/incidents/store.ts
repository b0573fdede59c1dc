/**
 * Incidents in DynamoDB. Two items per open incident: the incident itself (`incident#<id>`), and the open pointer of
 * its deduplication key (`open#<database>#<kind>`), written together in one transaction only if no incident of that
 * key is open: a repeated failure finds the pointer and joins the incident instead of opening (and paging) another.
 * Resolving deletes the pointer, so the next failure opens a new incident.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  GetItemCommand,
  ScanCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { dynamodb } from '../commons/aws';
import { env } from '../commons/runtime';
import { INCIDENT_ENV, type IncidentKindName, type Severity } from './contracts';

export type Status = 'open' | 'acknowledged' | 'resolved';

export interface PagedLevel {
  readonly name: string;
  readonly topicArn: string;
  readonly at: string;
}

export interface Incident {
  readonly id: string;
  readonly database: string;
  readonly kind: IncidentKindName;
  readonly severity: Severity;
  readonly status: Status;
  readonly openedAt: string;
  readonly lastSeenAt: string;
  readonly occurrences: number;
  readonly summary: string;
  readonly detail: string;
  /** What the latest repeated occurrence said, when it repeated. */
  readonly lastDetail?: string;
  readonly firstStep: string;
  readonly links: Record<string, string>;
  /** The levels paged so far, in order (a level paged again at the top of the ladder appears again). */
  readonly paged: PagedLevel[];
  /** The ladder's execution. */
  readonly ladder?: string;
  /** The task token of the level the ladder waits at. */
  readonly token?: string;
  readonly acknowledgedBy?: string;
  readonly acknowledgedAt?: string;
  readonly resolvedBy?: string;
  readonly resolvedAt?: string;
  readonly resolution?: string;
}

const table = () => env(INCIDENT_ENV.table);
const incidentKey = (id: string) => ({ pk: { S: `incident#${id}` } });
const pointerKey = (database: string, kind: string) => ({ pk: { S: `open#${database}#${kind}` } });

const s = (value: string): AttributeValue => ({ S: value });

/**
 * Whether a transaction was cancelled because a condition did not hold, and nothing else: DynamoDB cancels for
 * conflicts with another transaction and for throttling too, which must be retried, never read as an answer.
 */
function conditionFailed(error: unknown): boolean {
  if (!(error instanceof TransactionCanceledException)) return false;
  const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
  return codes.includes('ConditionalCheckFailed') && codes.every((c) => c === 'ConditionalCheckFailed' || c === 'None');
}
const str = (item: Record<string, AttributeValue>, name: string) => item[name]?.S;

function toItem(incident: Incident): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    ...incidentKey(incident.id),
    id: s(incident.id),
    database: s(incident.database),
    kind: s(incident.kind),
    severity: s(incident.severity),
    status: s(incident.status),
    openedAt: s(incident.openedAt),
    lastSeenAt: s(incident.lastSeenAt),
    occurrences: { N: String(incident.occurrences) },
    summary: s(incident.summary),
    detail: s(incident.detail),
    firstStep: s(incident.firstStep),
    links: { M: Object.fromEntries(Object.entries(incident.links).map(([k, v]) => [k, s(v)])) },
    paged: { L: incident.paged.map(pagedItem) },
  };
  return item;
}

const pagedItem = (level: PagedLevel): AttributeValue => ({
  M: { name: s(level.name), topicArn: s(level.topicArn), at: s(level.at) },
});

function fromItem(item: Record<string, AttributeValue>): Incident {
  const optional = (name: string) => (str(item, name) === undefined ? {} : { [name]: str(item, name) });
  return {
    id: str(item, 'id') as string,
    database: str(item, 'database') as string,
    kind: str(item, 'kind') as IncidentKindName,
    severity: str(item, 'severity') as Severity,
    status: str(item, 'status') as Status,
    openedAt: str(item, 'openedAt') as string,
    lastSeenAt: str(item, 'lastSeenAt') as string,
    occurrences: Number(item.occurrences?.N ?? 1),
    summary: str(item, 'summary') ?? '',
    detail: str(item, 'detail') ?? '',
    firstStep: str(item, 'firstStep') ?? '',
    links: Object.fromEntries(Object.entries(item.links?.M ?? {}).map(([k, v]) => [k, v.S ?? ''])),
    paged: (item.paged?.L ?? []).map((p) => ({
      name: p.M?.name?.S ?? '',
      topicArn: p.M?.topicArn?.S ?? '',
      at: p.M?.at?.S ?? '',
    })),
    ...optional('lastDetail'),
    ...optional('ladder'),
    ...optional('token'),
    ...optional('acknowledgedBy'),
    ...optional('acknowledgedAt'),
    ...optional('resolvedBy'),
    ...optional('resolvedAt'),
    ...optional('resolution'),
  } as Incident;
}

export async function getIncident(id: string): Promise<Incident | undefined> {
  const out = await dynamodb().send(
    new GetItemCommand({ TableName: table(), Key: incidentKey(id), ConsistentRead: true }),
  );
  return out.Item ? fromItem(out.Item) : undefined;
}

/** The id of the incident open for `database` and `kind`, if one is. */
export async function openIncidentOf(database: string, kind: string): Promise<string | undefined> {
  const out = await dynamodb().send(
    new GetItemCommand({ TableName: table(), Key: pointerKey(database, kind), ConsistentRead: true }),
  );
  return out.Item ? str(out.Item, 'incident') : undefined;
}

/** Opens `incident` unless one of its key is open: then returns that one's id, and `incident` is not written. */
export async function openOrJoin(incident: Incident): Promise<{ opened: true } | { opened: false; id: string }> {
  try {
    await dynamodb().send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: table(),
              Item: { ...pointerKey(incident.database, incident.kind), incident: s(incident.id) },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: { TableName: table(), Item: toItem(incident), ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      }),
    );
    return { opened: true };
  } catch (error) {
    if (!conditionFailed(error)) throw error;
    const id = await openIncidentOf(incident.database, incident.kind);
    // The pointer went away between the two calls (resolved just now): the caller opens again.
    if (!id) throw error;
    return { opened: false, id };
  }
}

/** Counts another occurrence of an open incident; its detail becomes the latest one. */
export async function recordOccurrence(id: string, at: string, detail: string): Promise<Incident> {
  const out = await dynamodb().send(
    new UpdateItemCommand({
      TableName: table(),
      Key: incidentKey(id),
      UpdateExpression: 'SET occurrences = occurrences + :one, lastSeenAt = :at, lastDetail = :detail',
      ExpressionAttributeValues: { ':one': { N: '1' }, ':at': s(at), ':detail': s(detail) },
      ConditionExpression: 'attribute_exists(pk)',
      ReturnValues: 'ALL_NEW',
    }),
  );
  return fromItem(out.Attributes ?? {});
}

export async function setLadder(id: string, executionArn: string): Promise<void> {
  await dynamodb().send(
    new UpdateItemCommand({
      TableName: table(),
      Key: incidentKey(id),
      UpdateExpression: 'SET ladder = :arn',
      ExpressionAttributeValues: { ':arn': s(executionArn) },
    }),
  );
}

/**
 * Keeps the token the ladder's wait ends with, if the incident is still open; returns the incident as it is then, or
 * undefined when it was no longer open (acknowledged or resolved meanwhile).
 */
export async function holdToken(id: string, token: string): Promise<Incident | undefined> {
  try {
    const out = await dynamodb().send(
      new UpdateItemCommand({
        TableName: table(),
        Key: incidentKey(id),
        UpdateExpression: 'SET #token = :token',
        ConditionExpression: '#status = :open',
        ExpressionAttributeNames: { '#status': 'status', '#token': 'token' },
        ExpressionAttributeValues: { ':token': s(token), ':open': s('open') },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return fromItem(out.Attributes ?? {});
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** Records that `level` was paged (after the publish succeeded: a page retried is recorded once). */
export async function recordPaged(id: string, level: PagedLevel): Promise<void> {
  await dynamodb().send(
    new UpdateItemCommand({
      TableName: table(),
      Key: incidentKey(id),
      UpdateExpression: 'SET paged = list_append(paged, :level)',
      ExpressionAttributeValues: { ':level': { L: [pagedItem(level)] } },
    }),
  );
}

/**
 * Marks an open incident acknowledged; returns it as written (with the token its ladder waits on now), or undefined
 * when it was not open.
 */
export async function acknowledge(id: string, by: string, at: string): Promise<Incident | undefined> {
  try {
    const out = await dynamodb().send(
      new UpdateItemCommand({
        TableName: table(),
        Key: incidentKey(id),
        UpdateExpression: 'SET #status = :ack, acknowledgedBy = :by, acknowledgedAt = :at',
        ConditionExpression: '#status = :open',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':ack': s('acknowledged'), ':by': s(by), ':at': s(at), ':open': s('open') },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return fromItem(out.Attributes ?? {});
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/**
 * Resolves an incident that is not resolved yet, and deletes its open pointer (if it still points at it) in the same
 * transaction; false when it was resolved already.
 */
export async function resolve(incident: Incident, by: string, at: string, resolution: string): Promise<boolean> {
  try {
    await dynamodb().send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Update: {
              TableName: table(),
              Key: incidentKey(incident.id),
              UpdateExpression: 'SET #status = :resolved, resolvedBy = :by, resolvedAt = :at, resolution = :why',
              ConditionExpression: '#status <> :resolved',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':resolved': s('resolved'),
                ':by': s(by),
                ':at': s(at),
                ':why': s(resolution),
              },
            },
          },
          {
            Delete: {
              TableName: table(),
              Key: pointerKey(incident.database, incident.kind),
              ConditionExpression: 'attribute_not_exists(pk) OR incident = :id',
              ExpressionAttributeValues: { ':id': s(incident.id) },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    throw error;
  }
}

/** The incidents that are not resolved, oldest first (the table holds few: a scan with a filter). */
export async function unresolvedIncidents(): Promise<Incident[]> {
  const found: Incident[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb().send(
      new ScanCommand({
        TableName: table(),
        FilterExpression: 'begins_with(pk, :incident) AND #status <> :resolved',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':incident': s('incident#'), ':resolved': s('resolved') },
        ExclusiveStartKey: start,
      }),
    );
    found.push(...(page.Items ?? []).map(fromItem));
    start = page.LastEvaluatedKey;
  } while (start);
  return found.sort((a, b) => a.openedAt.localeCompare(b.openedAt));
}
