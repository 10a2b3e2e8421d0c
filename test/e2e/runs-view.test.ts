/**
 * The board's runs view through a whole runwarden (scanner, workers, board in
 * one process over the test's Redis and its own SQLite file) and Debian's
 * chromium: the list with JavaScript off and its filters in the query string,
 * the archive download with and without a login, traversal refused, and the
 * run page's timeline checked by element boxes (bars, the failed step, the
 * stall shading). Skipped, saying why, when /usr/bin/chromium is absent.
 */
import {
  copyFileSync,
  existsSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { createBoard } from '@runwarden/board';
import { createLogger } from '@runwarden/core';
import { startTestSystem, testConfig, type TestSystem } from '../support/system.js';

const CHROMIUM = '/usr/bin/chromium';
const USER = 'ops';
const PASSWORD = 'correct horse battery staple';
const AUTH = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };
/** Where example screenshots are copied for the README (docs/), when set. */
const SHOTS = process.env.RUNWARDEN_RUNS_SCREENSHOTS;
/** A run id a pipeline could write, that HTML must not take for markup. */
const HOSTILE = 'train <b>&"x\'';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('runs-view');
});
afterEach(() => ctx.cleanup());

const iso = (ms: number) => new Date(ms).toISOString();

/** A succeeded run in pipeline etl, archived and reported. */
async function succeededRun(system: TestSystem): Promise<void> {
  const t0 = Date.now() - 5_000;
  system.worktree('etl-1');
  system.pipeline.run({ runId: 'etl-1', pipeline: 'etl', state: 'running', startedAt: iso(t0) });
  system.pipeline.step({
    stepId: 'etl-1.a',
    runId: 'etl-1',
    name: 'extract',
    state: 'succeeded',
    startedAt: iso(t0),
    finishedAt: iso(t0 + 2_000),
  });
  system.pipeline.run({
    runId: 'etl-1',
    pipeline: 'etl',
    state: 'succeeded',
    startedAt: iso(t0),
    finishedAt: iso(t0 + 2_000),
  });
}

/**
 * A failed run in pipeline ml that stalls while its first step runs: the
 * scanner records run_stalled, then run_recovered when the step finishes
 * (its `changedAt` is t1, the rows' time), then the run fails.
 */
async function stalledFailedRun(system: TestSystem): Promise<{ t0: number; t1: number }> {
  const { pipeline } = system;
  const t0 = Date.now();
  system.worktree(HOSTILE);
  pipeline.run({
    runId: HOSTILE,
    pipeline: 'ml',
    state: 'running',
    createdAt: iso(t0),
    startedAt: iso(t0),
    updatedAt: iso(t0),
  });
  pipeline.step({
    stepId: 's1',
    runId: HOSTILE,
    name: 'prepare <data>',
    state: 'running',
    startedAt: iso(t0),
    updatedAt: iso(t0),
  });
  await waitFor(
    () => system.rows('runwarden_events', HOSTILE).some((e) => e.type === 'run_stalled'),
    'run_stalled of the ml run',
  );
  const t1 = Date.now();
  pipeline.step({
    stepId: 's1',
    runId: HOSTILE,
    name: 'prepare <data>',
    state: 'succeeded',
    startedAt: iso(t0),
    finishedAt: iso(t1),
    updatedAt: iso(t1),
  });
  pipeline.step({
    stepId: 's2',
    runId: HOSTILE,
    name: 'train',
    state: 'running',
    startedAt: iso(t1),
    updatedAt: iso(t1),
  });
  await waitFor(
    () => system.rows('runwarden_events', HOSTILE).some((e) => e.type === 'run_recovered'),
    'run_recovered of the ml run',
  );
  // The failing step ran as long as the stall lasted, so both show clearly on one axis.
  const t2 = t1 + (t1 - t0);
  pipeline.step({
    stepId: 's2',
    runId: HOSTILE,
    name: 'train',
    state: 'failed',
    startedAt: iso(t1),
    finishedAt: iso(t2),
    error: 'CUDA out of memory',
  });
  pipeline.run({
    runId: HOSTILE,
    pipeline: 'ml',
    state: 'failed',
    createdAt: iso(t0),
    startedAt: iso(t0),
    finishedAt: iso(t2),
  });
  return { t0, t1 };
}

async function runsRecorded(system: TestSystem): Promise<void> {
  for (const runId of ['etl-1', HOSTILE])
    await waitFor(
      () =>
        system.rows('runwarden_reports', runId).length === 1 &&
        system.rows('runwarden_archives', runId).length === 1 &&
        system.rows('runwarden_alerts', runId).some((a) => a.status === 'sent'),
      `the ledger rows of ${runId}`,
    );
}

async function browse(javaScriptEnabled: boolean): Promise<Page> {
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu'],
    headless: true,
  });
  ctx.defer(() => browser.close());
  const context = await browser.newContext({
    javaScriptEnabled,
    httpCredentials: { username: USER, password: PASSWORD },
    viewport: { width: 1360, height: 800 },
  });
  ctx.defer(() => context.close());
  return context.newPage();
}

async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(ctx.dir, name);
  await page.screenshot({ path: file, fullPage: true });
  expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
  if (SHOTS) copyFileSync(file, path.join(SHOTS, name));
}

describe.skipIf(!existsSync(CHROMIUM))('the runs view on the board', () => {
  it('lists runs with JavaScript off, filters by query string, serves archives only with a login and only what the ledger names, and draws the timeline with the stall shaded', async () => {
    const system = await startTestSystem(ctx, {
      roles: ['scanner', 'archive', 'report', 'alert', 'board'],
      config: { board: { user: USER, password: PASSWORD, port: 0 } },
    });
    const base = system.runtime.boardUrl!.replace(/\/$/, '');
    await succeededRun(system);
    const { t0, t1 } = await stalledFailedRun(system);
    await runsRecorded(system);

    // The list, JavaScript off: both runs, each with its archive, report and alert.
    const page = await browse(false);
    const list = await page.goto(`${base}/runs`);
    expect(list?.status()).toBe(200);
    // No script at all, and a policy that would refuse one.
    expect(list?.headers()['content-security-policy']).toMatch(/^default-src 'none'; /);
    expect(await list?.text()).not.toMatch(/<script/i);
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    const ml = rows.filter({ has: page.getByRole('link', { name: HOSTILE, exact: true }) });
    expect(await ml.getAttribute('data-run')).toBe(HOSTILE);
    await ml.getByRole('link', { name: HOSTILE }).waitFor();
    expect(await ml.locator('.badge').textContent()).toBe('failed');
    expect(await ml.textContent()).toContain('2 (1 failed)');
    expect(await ml.textContent()).toContain('run_failure → console: sent');
    const archiveRow = system.rows('runwarden_archives', HOSTILE)[0]!;
    expect(await ml.locator('.sha').textContent()).toBe(archiveRow.sha256);
    expect(await page.locator('b').count()).toBe(0); // the run id's <b> stayed text

    // Filters through the form (a GET), so through the query string.
    await page.locator('select[name=outcome]').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/outcome=failed/);
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody tr').getAttribute('data-run')).toBe(HOSTILE);
    await page.goto(`${base}/runs?pipeline=etl&window=1h`);
    expect(await page.locator('tbody tr').getAttribute('data-run')).toBe('etl-1');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.goto(`${base}/runs?pipeline=etl&outcome=canceled&window=all`);
    await page.getByText('No finished run matches this filter.').waitFor();
    await page.goto(`${base}/runs`);
    await shot(page, 'runs-view.png');

    // The archive: the zip's bytes with a login, 401 without, nothing outside the folder.
    const zipHref = await ml.getByRole('link', { name: 'zip' }).getAttribute('href');
    const zip = await fetch(new URL(zipHref!, base), { headers: AUTH });
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');
    expect(Buffer.from(await zip.arrayBuffer())).toEqual(readFileSync(String(archiveRow.path)));
    expect((await fetch(new URL(zipHref!, base))).status).toBe(401);
    writeFileSync(path.join(ctx.dir, 'secret.zip'), 'not an archive');
    for (const evil of [
      '/runs/..%2Fsecret/archive.zip',
      '/runs/%2E%2E/archive.zip',
      '/runs/../secret.zip',
      '/runs/etl-1%2F..%2F..%2Fsecret/archive.zip',
      '/runs/no-such-run/archive.zip',
    ]) {
      const res = await fetch(`${base}${evil}`, { headers: AUTH });
      expect([400, 404], evil).toContain(res.status);
      expect(await res.text(), evil).not.toContain('not an archive');
    }
    // A symbolic link put where the zip was is not followed out of the archive folder.
    const etlZip = path.join(system.config.paths.archive, 'etl-1.zip');
    rmSync(etlZip);
    symlinkSync(path.join(ctx.dir, 'secret.zip'), etlZip);
    expect((await fetch(`${base}/runs/etl-1/archive.zip`, { headers: AUTH })).status).toBe(404);

    // Reports: JSON and HTML, with the login.
    const json = await fetch(`${base}/runs/${encodeURIComponent(HOSTILE)}/report.json`, {
      headers: AUTH,
    });
    expect(json.status).toBe(200);
    const report = (await json.json()) as { runId: string; stalls?: unknown[] };
    expect(report.runId).toBe(HOSTILE);
    expect(report.stalls).toHaveLength(1);
    const html = await fetch(`${base}/runs/${encodeURIComponent(HOSTILE)}/report.html`, {
      headers: AUTH,
    });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toContain('sandbox');
    expect(await html.text()).toContain('class="stall"');

    // The run page: bars placed by start and end, the failed step marked, the stall shaded.
    await page.goto(`${base}/runs`);
    await page.getByRole('link', { name: HOSTILE }).click();
    await page.getByRole('heading', { name: 'Step timeline' }).waitFor();
    expect(await page.title()).toBe(`Run ${HOSTILE}: failed`);
    const box = async (selector: string) => (await page.locator(selector).boundingBox())!;
    const track = await box('.row[data-step="s1"] .track');
    const prepare = await box('.row[data-step="s1"] .bar');
    const train = await box('.row[data-step="s2"] .bar');
    expect(prepare.x).toBeCloseTo(track.x, 0);
    expect(train.x).toBeGreaterThan(prepare.x + prepare.width - 2);
    expect(train.x + train.width).toBeCloseTo(track.x + track.width, 0);
    // t0 → t1 and t1 → t2 are equally long: each half of the axis.
    expect(prepare.width / track.width).toBeCloseTo(0.5, 1);
    expect(await page.locator('.row[data-step="s2"]').getAttribute('data-state')).toBe('failed');
    expect(await page.locator('.row[data-step="s2"] .label').textContent()).toBe('✘ train');
    expect(await page.locator('.row[data-step="s1"] .label').textContent()).toBe('prepare <data>');
    const stall = await box('.stall');
    const stallData = page.locator('.stall');
    expect(Date.parse((await stallData.getAttribute('data-from'))!)).toBe(Date.parse(iso(t0)));
    expect(Date.parse((await stallData.getAttribute('data-to'))!)).toBe(Date.parse(iso(t1)));
    // The shading covers the stalled period (t0 → t1, the first step) over every row.
    expect(stall.x).toBeCloseTo(prepare.x, 0);
    expect(stall.x + stall.width).toBeCloseTo(prepare.x + prepare.width, 0);
    const firstRow = await box('.row[data-step="s1"]');
    const lastRow = await box('.row[data-step="s2"]');
    expect(stall.y).toBeLessThanOrEqual(firstRow.y + 1);
    expect(stall.y + stall.height).toBeGreaterThanOrEqual(lastRow.y + lastRow.height - 1);
    expect(await page.getByText('CUDA out of memory').count()).toBeGreaterThan(0);
    await shot(page, 'run-timeline.png');
  });

  it('says on the page, without crashing, that the database is missing, and creates no file', async () => {
    const config = testConfig(ctx, {
      board: { user: USER, password: PASSWORD },
      database: path.join(ctx.dir, 'absent.db'),
    });
    const board = createBoard({
      config,
      logger: createLogger({ level: 'silent' }),
      redisUrl: ctx.redisUrl,
      prefix: ctx.prefix,
    });
    ctx.defer(() => board.close());
    const base = (await board.listen(0, '127.0.0.1')).url.replace(/\/$/, '');
    const res = await fetch(`${base}/runs`, { headers: AUTH });
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).toMatch(/<p class="msg" role="alert">The database \S*absent\.db cannot be opened/);
    expect((await fetch(`${base}/runs/r-1`, { headers: AUTH })).status).toBe(503);
    expect(existsSync(path.join(ctx.dir, 'absent.db'))).toBe(false);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
