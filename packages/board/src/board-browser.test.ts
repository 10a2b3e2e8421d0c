/**
 * The board in a real browser: Debian's chromium driven by playwright-core
 * (no browser download). Skipped, saying why, when /usr/bin/chromium is absent.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRedisConnection, QueueSet, QUEUES, runwardenConfigSchema } from '@runwarden/core';
import { chromium, type Browser } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '@runwarden/testing';
import { BOARD_PASSWORD, BOARD_USER, seedJobs, startBoard } from './board.fixture.js';

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

  it('refuses to be framed by another site, and a cross-site form cannot add a job', async () => {
    const { url } = await startBoard(ctx, { readOnly: false });
    const attacker = await startAttackerPage(url);
    const browser = await launch();
    const context = await browser.newContext({
      httpCredentials: { username: BOARD_USER, password: BOARD_PASSWORD },
    });
    ctx.defer(() => context.close());
    const page = await context.newPage();
    const refusals: string[] = [];
    page.on('console', (m) => refusals.push(m.text()));
    const boardAnswers: { url: string; status: number; frame: string | null }[] = [];
    page.on('response', (r) =>
      boardAnswers.push({
        url: r.url(),
        status: r.status(),
        frame: r.headers()['x-frame-options'] ?? null,
      }),
    );

    await page.goto(`${attacker.url}/frame`);
    await expect
      .poll(() => refusals.some((t) => /frame-ancestors 'none'.*blocked/s.test(t)))
      .toBe(true);
    const framed = page.frames().find((f) => f !== page.mainFrame());
    // Chromium replaces a refused frame with its own error page: nothing of the board is in it.
    expect(framed?.url()).toBe('chrome-error://chromewebdata/');
    expect(await framed?.locator('text=dead-letter').count()).toBe(0);
    expect(boardAnswers.find((a) => a.url === url)).toMatchObject({ status: 200, frame: 'DENY' });

    await page.goto(`${attacker.url}/form`);
    await expect
      .poll(() => boardAnswers.find((a) => a.url.endsWith('/api/queues/alert/add'))?.status)
      .toBe(403);
    expect(await queuedAlerts(ctx)).toBe(0);
  });
});

/** A page on another origin (another port) that frames the board, or posts a form to it. */
async function startAttackerPage(boardUrl: string): Promise<{ url: string }> {
  const pages: Record<string, string> = {
    '/frame': `<!doctype html><title>evil</title><iframe src="${boardUrl}" width="800" height="600"></iframe>`,
    '/form': `<!doctype html><title>evil</title>
      <form method="POST" action="${boardUrl}api/queues/alert/add">
        <input name="name" value="run_completed"><input name="data" value="{}">
      </form><script>document.forms[0].submit()</script>`,
  };
  const server = http.createServer((req, res) => {
    const body = pages[req.url ?? ''];
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html' }).end(body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ctx.defer(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function queuedAlerts(test: TestContext): Promise<number> {
  const connection = createRedisConnection(test.redisUrl);
  const queues = new QueueSet({
    connection,
    prefix: test.prefix,
    config: runwardenConfigSchema.parse({}),
  });
  try {
    return await queues.get(QUEUES.alert).count();
  } finally {
    await queues.close();
    await connection.quit();
  }
}
