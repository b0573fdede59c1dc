import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it, vi } from 'vitest';
import { metrics } from '../../../functions/commons/handler';
import type { CheckOutcome } from '../../../functions/drill/contracts';
import { renderHtml } from '../../../functions/drill/render-report';
import { buildReport, writeReport } from '../../../functions/drill/report';
import { judgeDrill, judgeObjective } from '../../../functions/drill/verdict';
import { at, latestCopy, plan, s3, useDrillEnvironment } from './drill-fixtures';

useDrillEnvironment();

describe('report', () => {
  const FINISHED = '2026-11-22T10:40:00.000Z';
  const NEXT_DAY = '2026-11-23T00:10:00.000Z';
  const passedChecks: CheckOutcome = {
    results: [{ name: 'rowCount:orders', passed: true, detail: 'orders has 1200 rows (at least 1)' }],
    firstGoodQueryAt: '2026-11-22T10:20:00.000Z',
    verdict: {
      status: 'passed',
      rto: judgeObjective(900, 3_600),
      rpo: judgeObjective(1_800, 86_400),
      summary:
        'Drill of orders passed: 1 of 1 check passed, restored in 15 min (objective 1 h), 30 min of data would have been lost (objective 1 d).',
      reasons: [],
    },
  };
  const passedInput = {
    plan,
    recoveryPoint: latestCopy,
    restore: { drillId: plan.drillId, restoreStartedAt: '2026-11-22T10:05:00.000Z' },
    checks: passedChecks,
    cleanup: { deleted: [plan.drillId], leaked: [] },
  };
  /** What the steps say when each recorded its part: the recovery point as RDS described it, times of each step. */
  const evidencedInput = {
    ...passedInput,
    plan: {
      ...plan,
      trigger: {
        type: 'schedule' as const,
        schedule: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/lifeline-drills/lifeline-drill-orders',
        scheduledTime: '2026-11-22T10:00:00Z',
      },
    },
    recoveryPoint: {
      ...latestCopy,
      arn: `arn:aws:rds:eu-west-1:123456789012:snapshot:${latestCopy.id}`,
      kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/dr-key',
      engineVersion: '16.3',
    },
    endpoint: { host: 'h', port: 5432, availableAt: '2026-11-22T10:18:00.000Z', engineVersion: '16.4' },
    cleanup: { deleted: [plan.drillId], leaked: [], finishedAt: '2026-11-22T10:35:00.000Z' },
  };

  it('builds the report of a passed drill', () => {
    // Act
    const report = buildReport(passedInput, FINISHED);
    // Assess
    expect(report).toEqual({
      database: 'orders',
      status: 'passed',
      summary: passedChecks.verdict.summary,
      recoveryPoint: latestCopy,
      rto: passedChecks.verdict.rto,
      rpo: passedChecks.verdict.rpo,
      checks: passedChecks.results,
      cleanup: { deleted: [plan.drillId], leaked: [] },
      drillId: plan.drillId,
      execution: plan.execution,
      startedAt: plan.startedAt,
      finishedAt: FINISHED,
      account: '123456789012',
      region: 'eu-west-1',
      source: { identifier: 'orders-prod', kind: 'instance' },
      engine: 'postgres',
      // Neither the restored database nor the recovery point said which version: the report does not guess.
      engineVersion: null,
      trigger: { type: 'manual', startedBy: null },
      timeline: [
        { event: 'drill started', at: plan.startedAt, note: 'the execution started' },
        { event: 'restore started', at: '2026-11-22T10:05:00.000Z' },
        { event: 'database available', at: null, note: expect.stringContaining('first saw it available') },
        { event: 'first query answered', at: '2026-11-22T10:20:00.000Z', note: 'the end of the measured RTO' },
        { event: 'cleanup done', at: null },
        { event: 'report written', at: FINISHED },
      ],
      timeZone: 'Europe/Berlin',
      links: {
        execution: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${plan.execution}`,
        recoveryPoint: `https://eu-west-1.console.aws.amazon.com/rds/home?region=eu-west-1#db-snapshot:engine=postgres;id=${latestCopy.id}`,
        report: null,
      },
    });
  });

  it('says where the drill ran, what it restored, what started it, when each step was done, and links each', () => {
    // Act
    const report = buildReport(evidencedInput, FINISHED, 'lifeline-reports');
    const html = renderHtml(report);
    // Assess
    expect(report).toMatchObject({
      account: '123456789012',
      region: 'eu-west-1',
      engineVersion: '16.4',
      trigger: { type: 'schedule' },
      links: {
        report: `https://eu-west-1.console.aws.amazon.com/s3/object/lifeline-reports?region=eu-west-1&bucketType=general&prefix=${encodeURIComponent(`drills/orders/2026-11-22/${plan.drillId}.html`)}`,
      },
    });
    expect(report.timeline.map((t) => [t.event, t.at])).toEqual([
      ['drill started', '2026-11-22T10:00:00.000Z'],
      ['restore started', '2026-11-22T10:05:00.000Z'],
      ['database available', '2026-11-22T10:18:00.000Z'],
      ['first query answered', '2026-11-22T10:20:00.000Z'],
      ['cleanup done', '2026-11-22T10:35:00.000Z'],
      ['report written', FINISHED],
    ]);
    // Times read in the schedule's zone, the zone shown.
    expect(html).toContain(
      '<time datetime="2026-11-22T10:35:00.000Z">2026-11-22 11:35:00 Europe/Berlin (UTC+01:00)</time>',
    );
    expect(html).toContain('123456789012 · eu-west-1');
    expect(html).toContain('postgres 16.4');
    expect(html).toContain(`<code>arn:aws:rds:eu-west-1:123456789012:snapshot:${latestCopy.id}</code>`);
    expect(html).toContain('<code>arn:aws:kms:eu-west-1:123456789012:key/dr-key</code>');
    expect(html).toContain(
      'the schedule lifeline-drill-orders, which fired at 2026-11-22 11:00:00 Europe/Berlin (UTC+01:00)',
    );
    expect(html).toContain(`<a href="${report.links.execution}">`);
  });

  it('says a drill started by hand was started by hand, and by whom only when the request said so', () => {
    // Act
    const unnamed = renderHtml(buildReport(passedInput, FINISHED));
    const named = renderHtml(
      buildReport({ ...passedInput, plan: { ...plan, trigger: { type: 'manual', startedBy: 'alice' } } }, FINISHED),
    );
    // Assess
    expect(unnamed).toContain('by hand (the request does not say by whom)');
    expect(named).toContain('by hand, by alice (as the request says)');
    // What no step recorded is said to be unrecorded, not filled in.
    expect(unnamed).toMatch(/<th>cleanup done<\/th><td><span class="unknown">not recorded<\/span>/);
    expect(unnamed).toContain('(version not read)');
  });

  it('names the step and the cause of a failure before the checks', () => {
    // Act
    const report = buildReport(
      {
        plan,
        recoveryPoint: latestCopy,
        restore: null,
        checks: null,
        cleanup: { deleted: [plan.drillId], leaked: [] },
        failedStep: 'Wait until the restored database is available',
        error: {
          Error: 'RestoreFailed',
          Cause: JSON.stringify({
            errorType: 'RestoreFailed',
            errorMessage: `${plan.drillId} is incompatible-restore: RDS could not restore orders.`,
            trace: ['RestoreFailed: ...'],
          }),
        },
      },
      FINISHED,
    );
    // Assess
    expect(report.status).toBe('failed');
    expect(report.summary).toBe(
      `Drill of orders failed at "Wait until the restored database is available": ${plan.drillId} is incompatible-restore: RDS could not restore orders.`,
    );
    expect(report.rto).toEqual({
      outcome: 'not-measured',
      measured: false,
      measuredSeconds: null,
      objectiveSeconds: 3_600,
      met: false,
      waiver: null,
    });
    expect(report.rpo).toMatchObject({ outcome: 'not-measured', measured: false, met: false });
    expect(report.checks).toEqual([]);
  });

  it('fails a passed drill whose cleanup left the database behind', () => {
    // Act
    const report = buildReport({ ...passedInput, cleanup: { deleted: [], leaked: [plan.drillId] } }, FINISHED);
    // Assess
    expect(report.status).toBe('failed');
    expect(report.summary).toBe(`${passedChecks.verdict.summary} Cleanup left ${plan.drillId} behind.`);
  });

  it('stores JSON and HTML under drills/<db>/<date>/<drillId> and words the subject', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    // Act: finished the next day, so the key is dated by the drill's start.
    const out = await at(NEXT_DAY, () => writeReport(passedInput));
    // Assess
    const key = `drills/orders/2026-11-22/${plan.drillId}`;
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Bucket, p.Key, p.ContentType])).toEqual([
      ['lifeline-reports', `${key}.json`, 'application/json'],
      ['lifeline-reports', `${key}.html`, 'text/html; charset=utf-8'],
      // Then the database's history: its index and its page.
      ['lifeline-reports', 'history/orders/index.json', 'application/json'],
      ['lifeline-reports', 'history/orders/index.html', 'text/html; charset=utf-8'],
    ]);
    expect(JSON.parse(String(puts[0]?.Body))).toMatchObject({ status: 'passed', finishedAt: NEXT_DAY });
    expect(String(puts[1]?.Body)).toContain('<h1>Drill of orders: <span class="ok">passed</span></h1>');
    expect(out.subject).toBe('Lifeline drill passed for orders');
    const console = `https://eu-west-1.console.aws.amazon.com/s3/object/lifeline-reports?region=eu-west-1&bucketType=general&prefix=${encodeURIComponent(`${key}.html`)}`;
    expect(out.location).toEqual({
      json: `s3://lifeline-reports/${key}.json`,
      html: `s3://lifeline-reports/${key}.html`,
      console,
      history: 's3://lifeline-reports/history/orders/index.html',
    });
    // The SNS message: the summary, then where to read more.
    expect(out.message).toBe(
      [
        passedChecks.verdict.summary,
        '',
        `Report: s3://lifeline-reports/${key}.html`,
        `Open it in the console: ${console}`,
        'History of orders: s3://lifeline-reports/history/orders/index.html',
        `Execution: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${plan.execution}`,
      ].join('\n'),
    );
    expect(out).not.toHaveProperty('historyNotUpdated');

    const failed = await at(NEXT_DAY, () =>
      writeReport({ ...passedInput, cleanup: { deleted: [], leaked: [plan.drillId] } }),
    );
    expect(failed.subject).toBe('Lifeline drill FAILED for orders');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(8);
  });

  /** What check-data returns when only a row count ran: the RPO had nothing to measure it. */
  const withoutFreshness = (waive?: { rpo?: string }): CheckOutcome => {
    const results = [{ name: 'rowCount:orders', passed: true, detail: 'orders has 1200 rows (at least 1)' }];
    return {
      results,
      firstGoodQueryAt: '2026-11-22T10:20:00.000Z',
      verdict: judgeDrill({
        database: 'orders',
        checks: results,
        restoreStartedAt: '2026-11-22T10:05:00.000Z',
        firstGoodQueryAt: '2026-11-22T10:20:00.000Z',
        recoveryPointTime: latestCopy.time,
        rtoObjectiveSeconds: 3_600,
        rpoObjectiveSeconds: 86_400,
        waive,
      }),
    };
  };

  it('fails a drill whose RPO was not measured, says "not measured" and never "met" for it', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const published = vi.spyOn(metrics, 'addMetric');
    // Act
    const out = await at(FINISHED, () => writeReport({ ...passedInput, checks: withoutFreshness() }));
    // Assess
    expect(out.report.status).toBe('failed');
    expect(out.report.rpo).toMatchObject({ outcome: 'not-measured', measured: false, met: false });
    const json = JSON.parse(String(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body));
    expect(json.rpo).toMatchObject({ measured: false, met: false });
    const html = String(s3.commandCalls(PutObjectCommand)[1]?.args[0].input.Body);
    const rpoRow = html.match(/<tr><th>RPO<\/th>.*?<\/tr>/)?.[0] ?? '';
    expect(rpoRow).toContain('<td>not measured</td>');
    expect(rpoRow).toContain('<td class="bad">not measured, so not met</td>');
    expect(rpoRow).not.toMatch(/>met</);
    // The measured RTO is published; the unmeasured RPO is not.
    expect(published.mock.calls.map(([name]) => name)).toEqual(['DrillPassed', 'DrillRTO']);
    published.mockRestore();
  });

  it('lets a waived RPO pass unmeasured, and the report says "waived" with the reason', () => {
    // Prepare
    const reason = 'append-only ledger without a timestamp column';
    // Act
    const report = buildReport({ ...passedInput, checks: withoutFreshness({ rpo: reason }) }, FINISHED);
    // Assess
    expect(report.status).toBe('passed');
    expect(report.rpo).toMatchObject({ outcome: 'waived', measured: false, met: false, waiver: reason });
    const html = renderHtml(report);
    expect(html).toContain(`<td class="waived">not measured; waived: ${reason}</td>`);
    expect(html.match(/<tr><th>RPO<\/th>.*?<\/tr>/)?.[0]).not.toMatch(/>met</);
  });

  it('reads the waiver from the plan when the drill failed before its checks', () => {
    // Prepare
    const reason = 'no timestamp column';
    // Act
    const report = buildReport(
      { plan: { ...plan, waive: { rpo: reason } }, recoveryPoint: null, error: { Cause: 'boom' }, failedStep: 'x' },
      FINISHED,
    );
    // Assess
    expect(report.rpo).toMatchObject({ outcome: 'waived', waiver: reason, met: false });
    expect(report.rto).toMatchObject({ outcome: 'not-measured', met: false });
  });

  it('escapes HTML in check details', () => {
    // Act
    const report = buildReport(
      {
        ...passedInput,
        checks: {
          ...passedChecks,
          results: [{ name: 'sql:evil', passed: false, detail: '<script>alert("x")</script> & more' }],
        },
      },
      FINISHED,
    );
    const html = renderHtml(report);
    // Assess
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; more');
  });
});
