import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { Objective } from '../../../functions/drill/contracts';
import {
  type DrillHistory,
  type HistoryRow,
  HistoryUnreadable,
  parseHistory,
  renderHistoryHtml,
  withDrill,
} from '../../../functions/drill/history';
import { recordHistory } from '../../../functions/drill/record-history';
import { writeReport } from '../../../functions/drill/report';
import { judgeObjective } from '../../../functions/drill/verdict';
import { at, latestCopy, plan, s3, useDrillEnvironment } from './drill-fixtures';

useDrillEnvironment();

const objective = (o: Objective) => ({
  outcome: o.outcome,
  measuredSeconds: o.measured ? o.measuredSeconds : null,
  objectiveSeconds: o.objectiveSeconds,
});

/** A drill of orders on day `day` of November 2026: RTO and RPO as measured (null: not measured). */
function drill(day: number, rto: number | null, rpo: number | null, extra: Partial<HistoryRow> = {}): HistoryRow {
  const date = `2026-11-${String(day).padStart(2, '0')}`;
  const rtoO = objective(judgeObjective(rto, 3_600));
  const rpoO = objective(judgeObjective(rpo, 86_400));
  const passed = rtoO.outcome === 'met' && rpoO.outcome === 'met';
  const id = `lifeline-drill-orders-${String(day).padStart(8, '0')}`;
  return {
    drillId: id,
    execution: `arn:aws:states:eu-west-1:123456789012:execution:lifeline-drill:run-${day}`,
    startedAt: `${date}T04:00:00.000Z`,
    finishedAt: `${date}T04:40:00.000Z`,
    status: passed ? 'passed' : 'failed',
    summary: `Drill of orders ${passed ? 'passed' : 'failed'}.`,
    trigger: {
      type: 'schedule',
      schedule: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/lifeline-drills/lifeline-drill-orders',
      scheduledTime: `${date}T04:00:00Z`,
    },
    rto: rtoO,
    rpo: rpoO,
    report: {
      json: `drills/orders/${date}/${id}.json`,
      html: `drills/orders/${date}/${id}.html`,
      link: `https://eu-west-1.console.aws.amazon.com/s3/object/lifeline-reports?prefix=drills/orders/${date}/${id}.html`,
    },
    ...extra,
  };
}

const build = (rows: HistoryRow[]) =>
  rows.reduce<DrillHistory | undefined>((h, row) => withDrill(h, 'orders', row, 'Europe/Berlin'), undefined);

describe('the drill history', () => {
  it('keeps every drill in order of start, one row per drill, one generation more per write', () => {
    // Act: recorded out of order, and the drill of the 3rd reported twice (a retried report)
    const history = build([drill(3, 900, 1_800), drill(1, 700, 1_000), drill(2, null, 2_000), drill(3, 950, 1_800)]);
    // Assess
    expect(history?.drills.map((d) => d.startedAt.slice(0, 10))).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    expect(history?.drills[2]?.rto.measuredSeconds).toBe(950);
    expect(history?.generation).toBe(4);
    expect(history?.database).toBe('orders');
  });

  it('reads back only a history of the database it is for', () => {
    // Prepare
    const text = JSON.stringify(build([drill(1, 700, 1_000)]));
    // Act / Assess
    expect(parseHistory(text, 'orders').drills).toHaveLength(1);
    expect(() => parseHistory(text, 'billing')).toThrow(HistoryUnreadable);
    expect(() => parseHistory('{not json', 'orders')).toThrow('the drill history of orders is not JSON');
  });

  it('shows the newest drills first, their objectives, and a chart point per measured value', () => {
    // Prepare: four drills, one RTO over its objective, one RPO not measured
    const history = build([
      drill(1, 700, 1_000),
      drill(8, 4_000, 2_000),
      drill(15, 800, null),
      drill(22, 900, 1_500),
    ]) as DrillHistory;
    // Act
    const html = renderHistoryHtml(history);
    // Assess
    const rows = [...html.matchAll(/<tr><td>(2026-11-\d\d)/g)].map((m) => m[1]);
    expect(rows).toEqual(['2026-11-22', '2026-11-15', '2026-11-08', '2026-11-01']);
    expect(html).toContain('4 drills recorded; all shown, 2 of them passed.');
    expect(html).toContain('Objectives now: RTO 1 h, RPO 1 d.');
    const rto = html.match(/<svg id="rto-chart"[\s\S]*?<\/svg>/)?.[0] ?? '';
    const rpo = html.match(/<svg id="rpo-chart"[\s\S]*?<\/svg>/)?.[0] ?? '';
    expect(rto.match(/<circle class="met"/g)).toHaveLength(3);
    expect(rto.match(/<circle class="missed"/g)).toHaveLength(1);
    expect(rto).toContain('<path class="objective"');
    expect(rpo.match(/<circle class="met"/g)).toHaveLength(3);
    expect(rpo.match(/<g class="not-measured">/g)).toHaveLength(1);
    // An objective nobody measured is "not measured" in the table, never "met".
    const fifteenth = html.match(/<tr><td>2026-11-15.*?<\/tr>/)?.[0] ?? '';
    expect(fifteenth).toContain('<td class="bad">not measured</td>');
    expect(fifteenth).not.toMatch(/>met</);
    // Times in the history's zone, the zone named.
    expect(html).toContain('2026-11-22 05:00:00 Europe/Berlin (UTC+01:00)');
  });

  it('draws the chart inline, with no asset from anywhere else', () => {
    // Act
    const html = renderHistoryHtml(build([drill(1, 700, 1_000), drill(2, 800, 1_100)]) as DrillHistory);
    // Assess
    expect(html).not.toMatch(/<script|<link|<img|<iframe|url\(|@import|src=/i);
    expect(html.match(/<svg /g)).toHaveLength(2);
  });

  it('shows only the newest 30 of more drills, and says so', () => {
    // Act
    // Act: five in October, then thirty in November
    const october = [1, 2, 3, 4, 5].map((day) =>
      drill(day, 600, 1_000, {
        drillId: `lifeline-drill-orders-oct${day}`,
        startedAt: `2026-10-0${day}T04:00:00.000Z`,
      }),
    );
    const november = Array.from({ length: 30 }, (_, i) => drill(i + 1, 600 + i, 1_000));
    const rows = [...october, ...november];
    const html = renderHistoryHtml(build(rows) as DrillHistory);
    // Assess
    expect(html).toContain('35 drills recorded; the newest 30 shown');
    expect(html.match(/<tr><td>2026-/g)).toHaveLength(30);
    expect(html).not.toContain('2026-10-');
  });

  it('escapes what the drills say', () => {
    // Act
    const html = renderHistoryHtml(
      build([
        drill(1, 700, 1_000, { trigger: { type: 'manual', startedBy: '<img src=x onerror=alert(1)>' } }),
      ]) as DrillHistory,
    );
    // Assess
    expect(html).not.toContain('<img');
    expect(html).toContain('by hand, by &#60;img src=x onerror=alert(1)&#62; (as the request says)');
  });
});

/** An S3 bucket in memory that honours If-Match and If-None-Match, and answers after a random delay. */
function conditionalBucket() {
  const objects = new Map<string, { body: string; etag: string; metadata: Record<string, string> }>();
  let version = 0;
  const precondition = () =>
    Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
  const later = () => new Promise((done) => setTimeout(done, Math.random() * 15));
  s3.on(PutObjectCommand).callsFake(async (input) => {
    await later();
    const current = objects.get(input.Key);
    if (input.IfNoneMatch === '*' && current) throw precondition();
    if (input.IfMatch !== undefined && current?.etag !== input.IfMatch) throw precondition();
    const etag = `"${++version}"`;
    objects.set(input.Key, { body: String(input.Body), etag, metadata: input.Metadata ?? {} });
    return { ETag: etag };
  });
  s3.on(GetObjectCommand).callsFake(async (input) => {
    await later();
    const current = objects.get(input.Key);
    if (!current) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    return { ETag: current.etag, Body: { transformToString: async () => current.body } };
  });
  s3.on(HeadObjectCommand).callsFake(async (input) => {
    await later();
    const current = objects.get(input.Key);
    if (!current) throw Object.assign(new Error('Forbidden'), { name: 'Forbidden' });
    return { ETag: current.etag, Metadata: current.metadata };
  });
  return objects;
}

describe('recording the history in the reports bucket', () => {
  it('loses no drill when several report at once, and leaves the page of the newest index', async () => {
    // Prepare
    const objects = conditionalBucket();
    const client = new S3Client({ region: 'eu-west-1' });
    const rows = [1, 2, 3, 4, 5, 6].map((day) => drill(day, 600 + day, 1_000));
    // Act
    await Promise.all(rows.map((row) => recordHistory(client, 'lifeline-reports', 'orders', row, 'Europe/Berlin')));
    // Assess
    const index = parseHistory(objects.get('history/orders/index.json')?.body ?? '', 'orders');
    expect(index.drills.map((d) => d.drillId).sort()).toEqual(rows.map((r) => r.drillId).sort());
    expect(index.generation).toBe(6);
    const page = objects.get('history/orders/index.html');
    expect(page?.metadata.generation).toBe('6');
    for (const row of rows) expect(page?.body).toContain(row.drillId);
    // Some writes lost a race and were retried; none were lost.
    expect(s3.commandCalls(PutObjectCommand).length).toBeGreaterThan(12);
  });

  it('appends to what is there: the first write creates, the next replaces the version it read', async () => {
    // Prepare
    const objects = conditionalBucket();
    const client = new S3Client({ region: 'eu-west-1' });
    // Act
    await recordHistory(client, 'lifeline-reports', 'orders', drill(1, 700, 1_000), 'UTC');
    await recordHistory(client, 'lifeline-reports', 'orders', drill(2, 800, 1_100), 'UTC');
    // Assess
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    const index = puts.filter((p) => p.Key === 'history/orders/index.json');
    expect(index.map((p) => [p.IfNoneMatch, p.IfMatch])).toEqual([
      ['*', undefined],
      ['*', undefined],
      [undefined, '"1"'],
    ]);
    expect(parseHistory(objects.get('history/orders/index.json')?.body ?? '', 'orders').drills).toHaveLength(2);
  });

  it('stores the report and says so when the history cannot be updated, without changing the verdict', async () => {
    // Prepare: the reports can be written, the history cannot be read back
    conditionalBucket();
    s3.on(PutObjectCommand, { Key: 'history/orders/index.json' }).rejects(
      Object.assign(new Error('precondition'), { $metadata: { httpStatusCode: 412 } }),
    );
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const checks = {
      results: [{ name: 'rowCount:orders', passed: true, detail: 'ok' }],
      firstGoodQueryAt: '2026-11-22T10:20:00.000Z',
      verdict: {
        status: 'passed' as const,
        rto: judgeObjective(900, 3_600),
        rpo: judgeObjective(1_800, 86_400),
        summary: 'Drill of orders passed.',
        reasons: [],
      },
    };
    // Act
    const out = await at('2026-11-22T10:40:00.000Z', () =>
      writeReport({ plan, recoveryPoint: latestCopy, checks, cleanup: { deleted: [plan.drillId], leaked: [] } }),
    );
    // Assess
    expect(out.report.status).toBe('passed');
    expect(out.historyNotUpdated).toBe('AccessDenied: Access Denied');
    expect(out.message).toContain(
      'History of orders: s3://lifeline-reports/history/orders/index.html (not updated by this drill: AccessDenied: Access Denied)',
    );
    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys.slice(0, 2)).toEqual([
      `drills/orders/2026-11-22/${plan.drillId}.json`,
      `drills/orders/2026-11-22/${plan.drillId}.html`,
    ]);
  });
});
