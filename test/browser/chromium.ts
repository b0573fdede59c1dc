/**
 * A real headless Chromium (Debian's `chromium`, driven by playwright-core) for the page tests, and what "a person
 * sees it" means there. Screenshots go to test/.out.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const OUT = resolve('test/.out');
/** What this machine's closed network needs: nothing that phones home, no GPU, no sandbox (root in a container). */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly page: Page;
  close(): Promise<void>;
}

/** Starts Chromium with a fresh profile, offline; fails with what to install when it is missing. */
export async function openBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}, and the page tests render in it. Install it as root: apt-get update && apt-get install -y --no-install-recommends chromium (.ci/run does this when it is missing)`,
    );
  mkdirSync(OUT, { recursive: true });
  // A fresh profile each run: nothing carried over, nothing to sync.
  const profile = mkdtempSync(join(tmpdir(), 'lifeline-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1100, height: 900 },
    offline: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A computed style of the element, as the browser applies it. */
export const style = (locator: Locator, property: string) =>
  locator.evaluate(
    (el, name) =>
      (globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }).getComputedStyle(el)[name] ??
      '',
    property,
  );

/** Visible to a person: displayed, not transparent, with an area, inside the page. */
export async function expectSeen(locator: Locator, what: string) {
  await locator.scrollIntoViewIfNeeded();
  expect(await locator.isVisible(), `${what} is visible`).toBe(true);
  const box = await locator.boundingBox();
  expect(box && box.width > 4 && box.height > 4, `${what} has an area (${JSON.stringify(box)})`).toBe(true);
  expect(Number(await style(locator, 'opacity')), `${what} is not transparent`).toBeGreaterThan(0.5);
}

/** A line (no area of its own) a person sees: long, drawn with a stroke, in a visible chart. */
export async function expectLineSeen(locator: Locator, what: string) {
  const box = await locator.boundingBox();
  expect(box?.width ?? 0, `${what} is long`).toBeGreaterThan(300);
  expect(await style(locator, 'stroke'), `${what} has a stroke`).not.toBe('none');
  expect(Number.parseFloat(await style(locator, 'stroke-width')), `${what} is drawn`).toBeGreaterThanOrEqual(1);
  expect(await style(locator, 'visibility'), `${what} is not hidden`).toBe('visible');
  expect(await style(locator, 'display'), `${what} is displayed`).not.toBe('none');
}
