/**
 * The runs view over HTTP, on a database the store's own writers filled (the
 * outbox and the ledger, as a scanner leaves them): what it answers for odd
 * run ids, and that the pipeline's text stays text.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  createLedgerRecorder,
  createPipelineWriter,
  createScannerStore,
  runMigrations,
} from '@runwarden/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completedEvent, createTestContext, step, type TestContext } from '@runwarden/testing';
import { authHeader, startBoard } from './board.fixture.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('runs-board');
});
afterEach(() => ctx.cleanup());

const UNSAFE = 'a/../../etc';
const HOSTILE = '<img src=x onerror=alert(1)>';

async function boardOn(runIds: string[]): Promise<string> {
  const database = path.join(ctx.dir, 'orchestration.db');
  const writer = createPipelineWriter(database);
  const db = writer.db;
  runMigrations(db);
  createScannerStore(db).commit({
    events: runIds.map((id) => ({
      ...completedEvent(id, [step('s1', 'failed', { name: HOSTILE })], undefined, HOSTILE),
      detectedAt: new Date().toISOString(),
    })),
    runs: [],
    stepFailures: [],
  });
  const ledger = createLedgerRecorder(db);
  for (const runId of runIds)
    ledger.record({
      kind: 'report',
      eventId: `${runId}.completed`,
      runId,
      path: `/r/${runId}`,
      outcome: 'failed',
      at: new Date().toISOString(),
    });
  writer.close();
  const reports = path.join(ctx.dir, 'reports');
  mkdirSync(reports);
  writeFileSync(path.join(ctx.dir, 'etc_summary.json'), '{"secret":true}');
  const { url } = await startBoard(ctx, {}, ctx.redisUrl, {
    database,
    paths: { archive: path.join(ctx.dir, 'archive'), reports },
  });
  return url.replace(/\/$/, '');
}

const get = (url: string) => fetch(url, { headers: authHeader() });

describe('the runs view over HTTP', () => {
  it("escapes the pipeline's text, keeps an unknown filter value selected, and answers odd run ids plainly", async () => {
    const base = await boardOn(['ok-1', UNSAFE]);
    const list = await (await get(`${base}/runs?pipeline=${encodeURIComponent('gone')}`)).text();
    expect(list).toContain('<option value="gone" selected>gone</option>');
    expect(list).toContain('No finished run matches this filter.');
    const all = await (await get(`${base}/runs`)).text();
    expect(all).not.toContain('<img');
    expect(all).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(all).toContain(`href="/runs/${encodeURIComponent(UNSAFE)}"`);

    const page = await get(`${base}/runs/${encodeURIComponent(UNSAFE)}`);
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('<img');
    // A run id that cannot be a file name has no files, whatever the ledger says.
    const report = await get(`${base}/runs/${encodeURIComponent(UNSAFE)}/report.json`);
    expect(report.status).toBe(400);
    expect(await report.text()).toContain('has no report: ');
    const unknown = await get(`${base}/runs/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('No finished run "nope" is recorded');
    expect((await get(`${base}/runs/${'x'.repeat(1_001)}`)).status).toBe(400);
    // Recorded by the ledger, but not written: 404, saying where it looked.
    const missing = await get(`${base}/runs/ok-1/report.html`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('Run ok-1 has no HTML report the board can serve');
    expect((await fetch(`${base}/runs`)).status).toBe(401);
  });
});
