/**
 * Rows a real pipeline database holds that once stopped every scan: a huge
 * `updated_at`, a NULL `run_id`, a table declared without types whose ids are
 * integers, a step in an unknown state. Written by a connection of the test's
 * own; the runs around them are still archived, reported and alerted.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRedisConnection, scannerStatusKey } from '@runwarden/core';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { startTestSystem, testConfig, unzipTest } from '../support/system.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('scanner-bad-rows');
});
afterEach(() => ctx.cleanup());

const TYPELESS = `
  CREATE TABLE runs (run_id PRIMARY KEY, pipeline, state, created_at, started_at, finished_at, updated_at);
  CREATE TABLE steps (step_id PRIMARY KEY, run_id, name, state, started_at, finished_at, updated_at, error);
  CREATE INDEX runs_state_idx ON runs(state);
  CREATE INDEX steps_run_state_idx ON steps(run_id, state, updated_at, step_id);`;

function readReport(dir: string, runId: string): Record<string, unknown> | undefined {
  const file = path.join(dir, `${runId}_summary.json`);
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    : undefined;
}

describe('bad rows in the pipeline database', () => {
  it('are skipped and named, and every other run is archived, reported and alerted', async () => {
    const file = testConfig(ctx).database;
    const pipeline = new Database(file);
    ctx.defer(() => pipeline.close());
    pipeline.pragma('journal_mode = WAL');
    pipeline.exec(TYPELESS);
    const now = new Date().toISOString();
    const insertRun = pipeline.prepare(
      'INSERT INTO runs (run_id, pipeline, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    );
    const insertStep = pipeline.prepare(
      'INSERT INTO steps (step_id, run_id, name, state, updated_at) VALUES (?, ?, ?, ?, ?)',
    );
    insertRun.run('huge', 'etl', 'running', now, 99999999999999);
    insertRun.run(null, 'etl', 'running', now, now);
    insertRun.run(42, 'etl', 'running', now, now);
    insertStep.run(4201, 42, 'load', 'running', now);

    const system = await startTestSystem(ctx);
    for (const runId of ['42', 'good']) system.worktree(runId);
    await waitFor(
      () => system.rows('runwarden_events', '42').some((e) => e.type === 'run_started'),
      'the integer run id to be followed',
    );
    // The runs after the bad rows complete: one in the typeless table with an integer id.
    pipeline
      .prepare("UPDATE steps SET state = 'failed', error = 'disk full' WHERE step_id = 4201")
      .run();
    pipeline.prepare("UPDATE runs SET state = 'failed', updated_at = ? WHERE run_id = 42").run(now);
    insertRun.run('good', 'etl', 'running', now, now);
    insertStep.run('good.1', 'good', 'extract', 'succeeded', now);
    insertStep.run('good.2', 'good', 'odd', 'exploded', now);
    pipeline.prepare("UPDATE runs SET state = 'succeeded' WHERE run_id = 'good'").run();

    for (const runId of ['42', 'good']) {
      const report = await waitFor(
        () => readReport(system.config.paths.reports, runId),
        `the report of run ${runId}`,
      );
      expect(report).toMatchObject({ runId, archive: { status: 'archived', verified: true } });
      expect(unzipTest(path.join(system.config.paths.archive, `${runId}.zip`))).toMatch(
        /No errors detected/,
      );
    }
    expect(readReport(system.config.paths.reports, '42')).toMatchObject({
      outcome: 'failed',
      failures: [{ stepId: '4201', error: 'disk full' }],
    });
    expect(readReport(system.config.paths.reports, 'good')).toMatchObject({
      outcome: 'succeeded',
      steps: { counts: { total: 1 } },
    });
    await waitFor(() => /run 42 failed/.test(system.console()), 'the alert for run 42');

    const redis = createRedisConnection(ctx.redisUrl, { name: 'test' });
    ctx.defer(() => redis.disconnect());
    const status = await waitFor(async () => {
      const hash = await redis.hgetall(scannerStatusKey(ctx.prefix));
      return /run_id NULL/.test(hash.skippedRowsText ?? '') ? hash : undefined;
    }, 'the skipped rows in the status hash');
    expect(Number(status.skippedRows)).toBeGreaterThanOrEqual(2);
    expect(status.skippedRowsText).toMatch(/rows skipped: /);
    expect(status.skippedRowsText).toContain('runs rowid 1 (run huge): updated_at 99999999999999');
    expect(status.skippedRowsText).toContain('runs rowid 2: run_id NULL cannot identify a row');
  });
});
