import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidInput } from '../commons/errors';
import { lifelineHandler } from '../commons/handler';
import { DRILL_PREFIX, type DrillCatalogEntry, type DrillPlan } from './contracts';

export interface ValidateDrillInput {
  readonly request: unknown;
  readonly catalog: Record<string, DrillCatalogEntry>;
  readonly execution: string;
  readonly startTime: string;
}

const INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;

const requestSchema = z.strictObject({
  database: z.string({ error: 'expected the id of a database with a drill' }),
  recoveryPoint: z
    .discriminatedUnion(
      'type',
      [
        z.strictObject({ type: z.literal('latest') }),
        z.strictObject({ type: z.literal('snapshot'), id: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,254}$/, { error: 'expected a snapshot identifier' }) }),
        z.strictObject({ type: z.literal('pointInTime'), time: z.iso.datetime({ offset: true, error: 'expected an ISO-8601 time' }) }),
      ],
      { error: 'expected {"type":"latest"}, {"type":"snapshot","id":...} or {"type":"pointInTime","time":...}' },
    )
    .default({ type: 'latest' }),
  overrides: z
    .strictObject({
      instanceClass: z.string().regex(INSTANCE_CLASS, { error: 'expected an RDS instance class such as db.t4g.micro' }).optional(),
      timeoutMinutes: z.number().int().min(5, { error: 'expected a whole number of minutes >= 5' }).max(1440, { error: 'expected at most 1440 minutes' }).optional(),
    })
    .default({}),
});

/** First state of every drill: a malformed request stops here, before anything is restored. */
export async function validateDrill(input: ValidateDrillInput): Promise<DrillPlan> {
  const parsed = requestSchema.safeParse(input.request, { reportInput: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : `${issue.path.join('.') || 'input'}: ${issue.message}, got ${JSON.stringify((issue as { input?: unknown }).input ?? null)}`,
    );
    throw new InvalidInput(`Drill request rejected, nothing was restored: ${problems.join('; ')}`);
  }
  const { database, recoveryPoint, overrides } = parsed.data;
  const entry = input.catalog[database];
  if (!entry) {
    const known = Object.keys(input.catalog).sort().join(', ') || 'none';
    throw new InvalidInput(`Drill request rejected, nothing was restored: database "${database}" has no drill configured (drills: ${known})`);
  }
  if (recoveryPoint.type === 'pointInTime' && Date.parse(recoveryPoint.time) > Date.parse(input.startTime)) {
    throw new InvalidInput(`Drill request rejected, nothing was restored: recoveryPoint.time ${recoveryPoint.time} is in the future`);
  }
  const suffix = createHash('sha256').update(input.execution).digest('hex').slice(0, 8);
  return {
    ...entry,
    instanceClass: overrides.instanceClass ?? entry.instanceClass,
    timeoutSeconds: overrides.timeoutMinutes ? overrides.timeoutMinutes * 60 : entry.timeoutSeconds,
    database,
    recoveryPoint,
    drillId: `${DRILL_PREFIX}${database}-${suffix}`,
    execution: input.execution,
    startedAt: input.startTime,
  };
}

export const handler = lifelineHandler(validateDrill);
