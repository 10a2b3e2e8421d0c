/**
 * The operator moves the database: a new file appears at the same path (a
 * backup restore, a pipeline re-init), or the file is gone for a while. The
 * scanner follows the path, not the old inode; while it cannot scan for
 * scanner.blindAfter it raises monitor_blind and /readyz answers 503, and
 * monitor_recovered when it sees again.
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PIPELINE_SCHEMA_SQL } from '@runwarden/store';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { startTestSystem, type TestSystem } from '../support/system.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('scanner-identity');
});
afterEach(() => ctx.cleanup());

const WATCHDOG_RULES = {
  channels: { console: { color: 'never' } },
  rules: [
    {
      name: 'run_completed',
      match: { type: 'run_completed' },
      severity: 'low',
      channels: ['console'],
    },
    {
      name: 'monitor_blind',
      match: { type: 'monitor_blind' },
      severity: 'critical',
      channels: ['console'],
    },
    {
      name: 'monitor_recovered',
      match: { type: 'monitor_recovered' },
      severity: 'critical',
      resolves: 'monitor_blind',
      channels: ['console'],
    },
  ],
};

const SCANNER = {
  pollInterval: '200ms',
  stallThreshold: '1h',
  changeCheckInterval: '50ms',
  leaseTtl: '1s',
  blindAfter: '1s',
};

/** A finished run written into `file` by a connection of its own (the pipeline). */
function finishedRun(file: string, runId: string, create = false): void {
  const db = new Database(file);
  try {
    if (create) db.exec(PIPELINE_SCHEMA_SQL);
    const now = new Date().toISOString();
    db.prepare(
      "INSERT INTO runs (run_id, pipeline, state, created_at, updated_at) VALUES (?, 'etl', 'succeeded', ?, ?)",
    ).run(runId, now, now);
  } finally {
    db.close();
  }
}

const reported = (system: TestSystem, runId: string) =>
  existsSync(path.join(system.config.paths.reports, `${runId}_summary.json`));

/** Puts a new database file at the path the way a restore does: built aside, renamed over. */
function replaceDatabase(system: TestSystem, runId: string): void {
  const file = system.config.database;
  // The pipeline's WAL goes with its file: checkpoint it away first, as a careful restore would.
  system.pipeline.db.pragma('wal_checkpoint(TRUNCATE)');
  const fresh = path.join(ctx.dir, 'restored.db');
  finishedRun(fresh, runId, true);
  renameSync(fresh, file);
}

describe('the orchestration database file', () => {
  it('replaced at the same path is reopened, and its finished runs are announced', async () => {
    const system = await startTestSystem(ctx, {
      alerts: WATCHDOG_RULES,
      config: { scanner: SCANNER },
    });
    for (const runId of ['before', 'after']) system.worktree(runId);
    system.pipeline.run({ runId: 'before', pipeline: 'etl', state: 'succeeded' });
    await waitFor(() => reported(system, 'before'), 'the run in the first file to be reported');

    replaceDatabase(system, 'after');
    await waitFor(
      () => reported(system, 'after'),
      'the run in the new file to be reported',
      20_000,
    );
    const report = JSON.parse(
      readFileSync(path.join(system.config.paths.reports, 'after_summary.json'), 'utf8'),
    ) as { archive: { status: string } };
    expect(report.archive.status).toBe('archived');
    expect(system.console()).not.toContain('monitor_blind');
  });

  it('gone for longer than blindAfter raises monitor_blind and fails /readyz, then recovers', async () => {
    const system = await startTestSystem(ctx, {
      alerts: WATCHDOG_RULES,
      config: { scanner: SCANNER, board: { port: 0, host: '127.0.0.1' } },
      roles: ['scanner', 'archive', 'report', 'alert', 'board'],
      boardOpen: true,
    });
    const readyz = async () => {
      const res = await fetch(`${system.runtime.boardUrl!.replace(/\/$/, '')}/readyz`);
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    };
    system.worktree('later');
    system.pipeline.run({ runId: 'first', pipeline: 'etl', state: 'running' });
    await waitFor(
      () => system.rows('runwarden_events', 'first').length > 0,
      'the scanner to see the database',
    );
    expect((await readyz()).status).toBe(200);

    system.pipeline.close();
    const file = system.config.database;
    const away = path.join(ctx.dir, 'moved-away.db');
    renameSync(file, away);
    for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });

    await waitFor(
      () => /CRITICAL[\s\S]*monitor_blind/.test(system.console()),
      'the monitor_blind alert',
    );
    expect(system.console()).toMatch(/runwarden is blind: no scan of .*orchestration\.db/);
    const blind = await readyz();
    expect(blind.status).toBe(503);
    expect(blind.body.scanner).toMatch(
      /^blind since \S+: The orchestration database .* does not exist/,
    );

    finishedRun(file, 'later', true);
    await waitFor(() => /monitor_recovered/.test(system.console()), 'the monitor_recovered alert');
    await waitFor(async () => (await readyz()).status === 200, '/readyz to be ready again');
    await waitFor(() => reported(system, 'later'), 'the run in the new file to be reported');
  });
});
