/**
 * The board in a real browser: Debian's chromium driven by playwright-core
 * (no browser download). Skipped, saying why, when /usr/bin/chromium is absent.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/support/context.js';
import { BOARD_PASSWORD, BOARD_USER, seedJobs, startBoard } from './testing/board-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Where an example screenshot is kept for people to look at; the test's own goes to its temp folder. */
const EXAMPLE_SCREENSHOT = process.env.RUNWARDEN_BOARD_SCREENSHOT;

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('board-browser');
});
afterEach(() => ctx.cleanup());

async function launch(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
  });
  ctx.defer(() => browser.close());
  return browser;
}

const hasChromium = existsSync(CHROMIUM);
const title = hasChromium
  ? 'board in chromium'
  : `board in chromium (skipped: ${CHROMIUM} is not installed; install it with apt-get install chromium)`;

describe.skipIf(!hasChromium)(title, () => {
  it('asks for a login, then shows every queue and the dead letter with its reason', async () => {
    const { url, config } = await startBoard(ctx);
    await seedJobs(ctx, config);
    const browser = await launch();

    const anonymous = await browser.newContext();
    ctx.defer(() => anonymous.close());
    // Chromium turns a 401 page load without credentials into a navigation error; the request API shows the status.
    expect((await anonymous.request.get(url)).status()).toBe(401);

    const context = await browser.newContext({
      httpCredentials: { username: BOARD_USER, password: BOARD_PASSWORD },
      viewport: { width: 1280, height: 900 },
    });
    ctx.defer(() => context.close());
    const page = await context.newPage();
    expect((await page.goto(url))?.status()).toBe(200);
    for (const queue of ['archive', 'report', 'alert', 'delivery', 'ledger', 'dead-letter']) {
      await page
        .getByRole('link', { name: queue, exact: true })
        .first()
        .waitFor({ state: 'visible' });
    }

    await page.getByRole('link', { name: 'dead-letter', exact: true }).first().click();
    await page.waitForURL(/\/queue\/dead-letter/);
    await page.getByText('archive.run-9.completed').first().waitFor();
    await page
      .getByText('not enough disk space for run run-9')
      .first()
      .waitFor({ state: 'visible' });

    const shot = path.join(ctx.dir, 'board-dead-letter.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);
    if (EXAMPLE_SCREENSHOT) await page.screenshot({ path: EXAMPLE_SCREENSHOT, fullPage: true });
  });
});
