/**
 * The HTML report opened from disk in Debian's chromium (playwright-core), with
 * the network off: it must render whole, fetch nothing, and draw the timeline.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRunReport, renderReportHtml, writeRunReportHtml } from '@runwarden/report';
import { completedEvent, createTestContext, step, type TestContext } from '@runwarden/testing';

const CHROMIUM = '/usr/bin/chromium';
/** The one browser global used below (this tsconfig has no DOM types). */
interface BrowserWindow {
  getComputedStyle(element: unknown): { backgroundColor: string };
}
const hasChromium = existsSync(CHROMIUM);
/** Where an example screenshot is kept for people to look at. */
const EXAMPLE_SCREENSHOT = process.env.RUNWARDEN_REPORT_SCREENSHOT;

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('html-report');
});
afterEach(() => ctx.cleanup());

const t = (s: number) => new Date(Date.parse('2025-12-05T14:00:00Z') + s * 1000).toISOString();

function report() {
  const event = completedEvent('run-42', [
    step('s1', 'succeeded', { name: 'extract', startedAt: t(0), finishedAt: t(30) }),
    step('s2', 'failed', {
      name: 'transform <x>',
      startedAt: t(30),
      finishedAt: t(90),
      error: "KeyError: 'customer_id'",
    }),
    step('s3', 'skipped', { name: 'load', startedAt: null, finishedAt: null }),
  ]);
  event.run.startedAt = t(0);
  event.run.finishedAt = t(120);
  // Stalled from 95 s, never recovered: shaded to the run's end.
  event.stalls = [{ stall: 1, from: t(95), to: null }];
  return buildRunReport({
    event,
    archive: {
      status: 'archived',
      path: '/a/run-42.zip',
      bytes: 4437,
      entries: 4,
      sha256: 'ab'.repeat(32),
      verified: true,
    },
  });
}

describe('the HTML report', () => {
  it('is the same bytes for the same report and escapes what the pipeline wrote', () => {
    const html = renderReportHtml(report());
    expect(renderReportHtml(report())).toBe(html);
    expect(html).toContain('✘ transform &lt;x&gt;');
    expect(html).toContain('KeyError: &#39;customer_id&#39;');
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=/);
  });

  describe.skipIf(!hasChromium)('in chromium', () => {
    it('renders from disk with the network off, fetching nothing, with a bar per started step on one time axis', async () => {
      const file = await writeRunReportHtml(ctx.dir, report());
      expect(path.basename(file)).toBe('run-42_summary.html');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu'],
        headless: true,
      });
      ctx.defer(() => browser.close());
      const context = await browser.newContext({
        offline: true,
        viewport: { width: 1100, height: 700 },
      });
      ctx.defer(() => context.close());
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href);
      await page.getByRole('heading', { name: 'Step timeline' }).waitFor();
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(await page.title()).toBe('Run run-42: failed');

      const track = (await page.locator('.row[data-step="s1"] .track').boundingBox())!;
      const bar1 = (await page.locator('.row[data-step="s1"] .bar').boundingBox())!;
      const bar2 = (await page.locator('.row[data-step="s2"] .bar').boundingBox())!;
      // extract: 0–30 s and transform: 30–90 s of a 120 s run.
      expect(bar1.x).toBeCloseTo(track.x, 0);
      expect(bar1.width / track.width).toBeCloseTo(0.25, 2);
      expect(bar2.x).toBeCloseTo(bar1.x + bar1.width, 0);
      expect(bar2.width / track.width).toBeCloseTo(0.5, 2);
      expect(await page.locator('.row[data-step="s2"]').getAttribute('data-state')).toBe('failed');
      expect(
        await page
          .locator('.row[data-step="s2"] .bar')
          .evaluate(
            (e) => (globalThis as unknown as BrowserWindow).getComputedStyle(e).backgroundColor,
          ),
      ).toBe('rgb(198, 40, 40)');
      // The stall: 95 s to the end (120 s), shaded over every row.
      const stall = (await page.locator('.stall').boundingBox())!;
      expect((stall.x - track.x) / track.width).toBeCloseTo(95 / 120, 2);
      expect(stall.width / track.width).toBeCloseTo(25 / 120, 2);
      const lastRow = (await page.locator('.row[data-step="s3"]').boundingBox())!;
      expect(stall.y + stall.height).toBeGreaterThanOrEqual(lastRow.y + lastRow.height - 1);
      // The skipped step that never started has a row and no bar.
      expect(await page.locator('.row[data-step="s3"] .bar').count()).toBe(0);

      const shot = path.join(ctx.dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
      if (EXAMPLE_SCREENSHOT) copyFileSync(shot, EXAMPLE_SCREENSHOT);
    });
  });
});
