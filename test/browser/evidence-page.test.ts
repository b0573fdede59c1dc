/**
 * The month's evidence page as an auditor sees it, in a real headless Chromium; kept as a screenshot in test/.out,
 * and with UPDATE_SCREENSHOTS=1 also as test/browser/evidence-page.png, the one the README shows (committed; CI
 * leaves it alone).
 */
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRollupHtml } from '../../functions/evidence/render-rollup';
import { rollUp } from '../../functions/evidence/rollup';
import { backup, drill, november } from '../fixtures/evidence';
import { type Browser, expectSeen, OUT, openBrowser, style } from './chromium';

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await openBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
});

describe('the evidence page in a browser', () => {
  it('shows a clean month as clean, with every record and its checksum', async () => {
    // Prepare
    const rollup = rollUp(november());
    // Act
    await page.setContent(renderRollupHtml(rollup), { waitUntil: 'load' });
    // Assess
    await expectSeen(page.locator('h1', { hasText: 'Recovery evidence, month 2026-11' }), 'the title');
    const summary = page.locator('#summary');
    await expectSeen(summary, 'the summary');
    expect(await summary.innerText()).toBe(
      'lifeline: 30 backups succeeded, 0 did not; 1 restore drill passed, 0 failed; nothing needs attention.',
    );
    expect(await style(summary.locator('.ok'), 'color')).toBe('rgb(23, 100, 58)');
    const orders = page.locator('#databases tr', { has: page.locator('th', { hasText: 'orders' }) });
    expect(await orders.innerText()).toMatch(
      /30 \/ 30 \(100\.0 %\)\s+1 passed, 0 failed\s+met 1\s+met 1\s+kept 12 of 12\s+dry runs 1 passed\s+1 export\s+1 dump\s+none/,
    );
    const records = page.locator('#records tr');
    expect(await records.count()).toBe(1 + 36);
    await expectSeen(records.last(), 'the last record');
    expect(await records.last().innerText()).toContain('f'.repeat(64));
    expect(await page.locator('#records tr', { hasText: 'replication-report' }).innerText()).toContain('c'.repeat(64));
  });

  it('shows what needs attention in red, and an unmeasured objective as not measured, never met', async () => {
    // Prepare
    const input = november();
    const rollup = rollUp({
      ...input,
      backups: [...input.backups.slice(0, 29), backup('2026-11-30T01:00:00.000Z', 'FAILED')],
      drills: [
        drill('2026-11-01T05:00:00.000Z', 'failed', { rpo: { outcome: 'not-measured', measuredSeconds: null } }),
      ],
    });
    // Act
    await page.setContent(renderRollupHtml(rollup), { waitUntil: 'load' });
    // Assess
    const verdict = page.locator('#summary .bad');
    await expectSeen(verdict, 'the verdict');
    expect(await verdict.innerText()).toBe('4 findings need attention');
    const orders = page.locator('#databases tr', { has: page.locator('th', { hasText: 'orders' }) });
    const text = await orders.innerText();
    expect(text).toContain('29 / 30 (96.7 %)');
    expect(text).toContain('not measured 1');
    expect(text).not.toMatch(/met 1\s+not measured/);
    const findings = orders.locator('li.bad');
    expect(await findings.allInnerTexts()).toEqual([
      '1 of 30 backups did not succeed',
      'no restore drill passed on record: restorability is unproven',
      '1 of 1 restore drills failed',
      'the RTO was missed in 1 drill',
    ]);
    await expectSeen(findings.first(), 'the first finding');
    expect(await style(findings.first(), 'color')).toBe('rgb(164, 22, 26)');
    await page.screenshot({ path: join(OUT, 'evidence-page.png'), fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1')
      await page.screenshot({ path: resolve('test/browser/evidence-page.png'), fullPage: true });
  });
});
