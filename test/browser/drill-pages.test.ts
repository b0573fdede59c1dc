/**
 * The drill report and the drill history page as a person sees them: rendered by a real headless Chromium
 * (Debian's `chromium`, driven by playwright-core), checked for what is visible, and kept as screenshots in test/.out.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckOutcome, DrillPlan, ReportInput } from '../../functions/drill/contracts';
import { type DrillHistory, historyRowOf, renderHistoryHtml, withDrill } from '../../functions/drill/history';
import { renderHtml } from '../../functions/drill/render-report';
import { buildReport, reportKey } from '../../functions/drill/report';
import { judgeDrill } from '../../functions/drill/verdict';
import { ordersDrillEntry } from '../fixtures/drill-catalog';
import { type Browser, expectLineSeen, expectSeen, OUT, openBrowser, style } from './chromium';

const SCHEDULE = 'arn:aws:scheduler:eu-west-1:123456789012:schedule/lifeline-drills/lifeline-drill-orders';
const minutes = (iso: string, n: number) => new Date(Date.parse(iso) + n * 60_000).toISOString();

/** The report input of a drill on `day` of November 2026 whose restore took `rtoMinutes`, with rows `rpoMinutes` old. */
function drillOn(day: number, rtoMinutes: number, rpoMinutes: number | null): ReportInput {
  const start = `2026-11-${String(day).padStart(2, '0')}T04:00:00.000Z`;
  const plan: DrillPlan = {
    ...ordersDrillEntry,
    database: 'orders',
    recoveryPoint: { type: 'latest' },
    drillId: `lifeline-drill-orders-${String(day).padStart(8, '0')}`,
    execution: `arn:aws:states:eu-west-1:123456789012:execution:lifeline-drill:scheduled-${day}`,
    startedAt: start,
    trigger: { type: 'schedule', schedule: SCHEDULE, scheduledTime: start.replace('.000', '') },
  };
  const recoveryTime = minutes(start, -120);
  const restoreStartedAt = minutes(start, 1);
  const firstGoodQueryAt = minutes(restoreStartedAt, rtoMinutes);
  const results = [
    { name: 'rowCount:orders', passed: true, detail: 'table orders has 1200 rows (at least 1 expected)' },
    ...(rpoMinutes === null
      ? []
      : [
          {
            name: 'freshness:orders.created_at',
            passed: true,
            detail: 'the newest orders.created_at is recent',
            newestRow: minutes(recoveryTime, -rpoMinutes),
          },
        ]),
  ];
  const checks: CheckOutcome = {
    results,
    firstGoodQueryAt,
    verdict: judgeDrill({
      database: 'orders',
      checks: results,
      restoreStartedAt,
      firstGoodQueryAt,
      recoveryPointTime: recoveryTime,
      rtoObjectiveSeconds: plan.rtoSeconds,
      rpoObjectiveSeconds: plan.rpoSeconds,
    }),
  };
  return {
    plan,
    recoveryPoint: {
      type: 'latest-copy',
      id: `lifeline-orders-202611${String(day).padStart(2, '0')}t0200`,
      time: recoveryTime,
      arn: `arn:aws:rds:eu-west-1:123456789012:snapshot:lifeline-orders-202611${String(day).padStart(2, '0')}t0200`,
      kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-dr',
      engineVersion: '16.4',
    },
    restore: { drillId: plan.drillId, restoreStartedAt },
    endpoint: { host: 'drill.local', port: 5432, availableAt: minutes(firstGoodQueryAt, -1), engineVersion: '16.4' },
    checks,
    cleanup: { deleted: [plan.drillId], leaked: [], finishedAt: minutes(firstGoodQueryAt, 6) },
  };
}

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await openBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
});

describe('the drill pages in a browser', () => {
  it('shows the verdict, the objectives and what was drilled on the report', async () => {
    // Prepare
    const report = buildReport(drillOn(22, 14, 30), '2026-11-22T04:30:00.000Z', 'lifeline-reports');
    // Act
    await page.setContent(renderHtml(report), { waitUntil: 'load' });
    // Assess
    const verdict = page.locator('h1 span');
    await expectSeen(verdict, 'the verdict');
    expect(await verdict.innerText()).toBe('passed');
    expect(await style(verdict, 'color')).toBe('rgb(23, 100, 58)');
    for (const name of ['RTO', 'RPO']) {
      const row = page.locator('#objectives tr', { has: page.locator('th', { hasText: name }) });
      await expectSeen(row, `the ${name} row`);
      expect(await row.innerText()).toMatch(/objective \d+ (h|d|min)/);
      expect(await row.locator('td.ok').innerText()).toBe('met');
    }
    const facts = await page.locator('#facts').innerText();
    expect(facts).toContain('123456789012 · eu-west-1');
    expect(facts).toContain('postgres 16.4');
    expect(facts).toContain('arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-dr');
    expect(facts).toContain('the schedule lifeline-drill-orders');
    const timeline = page.locator('#timeline');
    await expectSeen(timeline, 'the timeline');
    expect((await timeline.innerText()).match(/Europe\/Berlin \(UTC\+01:00\)/g)?.length).toBe(6);
    await page.screenshot({ path: join(OUT, 'drill-report.png'), fullPage: true });
  });

  it('shows the last drills and a chart of RTO and RPO against their objectives on the history page', async () => {
    // Prepare: five weekly drills; one slow restore, one without a freshness check
    const drills = [
      [1, 14, 30],
      [8, 18, 45],
      [15, 72, 20],
      [22, 12, null],
      [29, 15, 60],
    ] as const;
    let history: DrillHistory | undefined;
    for (const [day, rto, rpo] of drills) {
      const input = drillOn(day, rto, rpo);
      const report = buildReport(input, minutes(input.plan.startedAt, 40), 'lifeline-reports');
      const key = reportKey(input.plan);
      history = withDrill(
        history,
        'orders',
        historyRowOf(report, { json: `${key}.json`, html: `${key}.html` }, report.links.report),
        report.timeZone,
      );
    }
    // Act
    await page.setContent(renderHistoryHtml(history as DrillHistory), { waitUntil: 'load' });
    // Assess
    await expectSeen(page.locator('h1', { hasText: 'Drill history of orders' }), 'the title');
    const overview = await page.locator('#overview').innerText();
    expect(overview).toContain('5 drills recorded; all shown, 3 of them passed.');
    expect(overview).toContain('Objectives now: RTO 1 h, RPO 1 d.');
    const rows = page.locator('#drills tr');
    expect(await rows.count()).toBe(6);
    expect(await rows.nth(1).innerText()).toContain('2026-11-29');
    for (const id of ['rto', 'rpo']) {
      const chart = page.locator(`#${id}-chart`);
      await expectSeen(chart, `the ${id} chart`);
      const box = await chart.boundingBox();
      expect(box?.width, `the ${id} chart is wide`).toBeGreaterThan(500);
      await expectLineSeen(chart.locator('path.objective'), `the ${id} objective line`);
    }
    const rto = page.locator('#rto-chart');
    expect(await rto.locator('circle.met').count()).toBe(4);
    expect(await rto.locator('circle.missed').count()).toBe(1);
    await expectSeen(rto.locator('circle.missed'), 'the missed RTO');
    // The slow restore sits above the objective line: higher on the screen is a smaller y.
    const missed = await rto.locator('circle.missed').boundingBox();
    const line = await rto.locator('path.objective').boundingBox();
    expect((missed?.y ?? 0) + (missed?.height ?? 0)).toBeLessThan((line?.y ?? 0) + 1);
    const rpo = page.locator('#rpo-chart');
    expect(await rpo.locator('circle.met').count()).toBe(4);
    await expectSeen(rpo.locator('g.not-measured text'), 'the unmeasured RPO');
    await page.screenshot({ path: join(OUT, 'drill-history.png'), fullPage: true });
  });
});
