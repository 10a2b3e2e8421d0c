import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QUEUES } from '@runwarden/core';
import { createTestContext, runCliProcess, type TestContext, waitFor } from '@runwarden/testing';
import { CONSOLE_RULES, startTestSystem, type TestSystem } from '../support/system.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('backfill');
});
afterEach(() => ctx.cleanup());

const DAY = 86_400_000;

/** Writes runwarden.yaml and alerts.yaml for the CLI process, matching the in-process system. */
function writeCliConfig(system: TestSystem): string {
  const alertsFile = path.join(ctx.dir, 'alerts.yaml');
  writeFileSync(alertsFile, JSON.stringify(CONSOLE_RULES));
  const file = path.join(ctx.dir, 'runwarden.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      database: system.config.database,
      redis: { url: ctx.redisUrl, prefix: ctx.prefix },
      paths: system.config.paths,
      alerts: alertsFile,
    }),
  );
  return file;
}

function count(system: TestSystem, sql: string): number {
  const db = new Database(system.config.database, { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
}

function pastRuns(system: TestSystem, n: number, finishedMsAgo: number, prefix: string): void {
  const at = new Date(Date.now() - finishedMsAgo).toISOString();
  const { pipeline } = system;
  pipeline.db.transaction(() => {
    for (let i = 0; i < n; i += 1) {
      const runId = `${prefix}-${String(i).padStart(4, '0')}`;
      const state = i % 10 === 0 ? 'failed' : 'succeeded';
      pipeline.run({
        runId,
        pipeline: 'nightly-etl',
        state,
        createdAt: at,
        startedAt: at,
        finishedAt: at,
        updatedAt: at,
      });
      pipeline.step({
        stepId: `${runId}.extract`,
        runId,
        name: 'extract',
        state,
        startedAt: at,
        finishedAt: at,
        updatedAt: at,
      });
    }
  })();
}

describe('runwarden backfill', () => {
  it('archives and reports 1,000 past runs through the queues, sends no alert, and queues nothing twice', async () => {
    const system = await startTestSystem(ctx);
    pastRuns(system, 1000, 2 * DAY, 'past');
    pastRuns(system, 3, 10 * DAY, 'old');
    // The scanner's first start records finished history without announcing it.
    await waitFor(
      () => count(system, "SELECT count(*) FROM runwarden_scanner_state WHERE key = 'baseline_at'"),
      'the scanner to record the baseline',
    );
    expect(count(system, 'SELECT count(*) FROM runwarden_events')).toBe(0);
    const configFile = writeCliConfig(system);

    const dry = await runCliProcess([
      'backfill',
      '--since',
      '7d',
      '--dry-run',
      '--config',
      configFile,
    ]);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      'Dry run: 1000 run(s) finished in the last 7d have no report and would be queued:',
    );
    expect(count(system, 'SELECT count(*) FROM runwarden_events')).toBe(0);

    const run = await runCliProcess([
      'backfill',
      '--since',
      '7d',
      '--no-alerts',
      '--config',
      configFile,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'Backfill: 1000 run(s) finished in the last 7d queued for archive and report; no alerts (--no-alerts).',
    );
    expect(run.stderr).toContain('backfill: 100% (1000/1000 runs)');

    await waitFor(
      () => count(system, 'SELECT count(*) FROM runwarden_reports') === 1000,
      '1,000 reports in the ledger',
      110_000,
      250,
    );
    expect(count(system, "SELECT count(*) FROM runwarden_reports WHERE run_id LIKE 'old-%'")).toBe(
      0,
    );
    expect(count(system, "SELECT count(*) FROM runwarden_archives WHERE status = 'skipped'")).toBe(
      1000,
    );
    expect(
      count(
        system,
        "SELECT count(*) FROM runwarden_events WHERE enqueued_at IS NOT NULL AND type = 'run_completed'",
      ),
    ).toBe(1000);
    expect(count(system, "SELECT count(*) FROM runwarden_reports WHERE outcome = 'failed'")).toBe(
      100,
    );
    // No alert: none queued, none recorded, nothing printed by the console channel.
    const alertCounts = await system.runtime.queues.get(QUEUES.alert).getJobCounts();
    expect(Object.values(alertCounts).reduce((a, b) => a + b, 0)).toBe(0);
    expect(count(system, 'SELECT count(*) FROM runwarden_alerts')).toBe(0);
    expect(system.console()).toBe('');

    const again = await runCliProcess(['backfill', '--since', '7d', '--config', configFile]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Backfill: 0 run(s)');
  });

  it('rejects a --since that is not a duration with exit 2', async () => {
    const res = await runCliProcess(['backfill', '--since', 'a week']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      '--since: expected a duration like 100ms, 10s, 30m, 1h or 1d, got "a week"',
    );
  });
});
