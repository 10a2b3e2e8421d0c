import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '@runwarden/testing';
import {
  MIGRATIONS,
  PIPELINE_SCHEMA_SQL,
  createLedgerRecorder,
  createPipelineReader,
  createPipelineWriter,
  createScannerDbLease,
  createScannerStore,
  findMissingIndexes,
  openOrchestrationDb,
  readStatus,
  runMigrations,
} from './index.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('store');
});
afterEach(() => ctx.cleanup());

function pipelineDb(): string {
  const file = path.join(ctx.dir, 'orchestration.db');
  createPipelineWriter(file).close();
  return file;
}

describe('openOrchestrationDb', () => {
  it('says which file is missing and what to do', () => {
    expect(() => openOrchestrationDb(path.join(ctx.dir, 'missing.db'))).toThrow(
      expect.objectContaining({
        code: 'DATABASE_MISSING',
        message: expect.stringContaining('missing.db does not exist'),
      }),
    );
  });

  it('rejects a file that is not SQLite', () => {
    const file = path.join(ctx.dir, 'notes.db');
    writeFileSync(file, 'this is not a database, just some text that is long enough');
    expect(() => openOrchestrationDb(file)).toThrow(
      expect.objectContaining({
        code: 'DATABASE_INVALID',
        message: expect.stringContaining('not a SQLite database'),
      }),
    );
  });

  it('names the missing table and shows the expected schema', () => {
    const file = path.join(ctx.dir, 'empty.db');
    new Database(file).exec('CREATE TABLE runs (run_id TEXT)').close();
    expect(() => openOrchestrationDb(file)).toThrow(
      expect.objectContaining({
        code: 'DATABASE_INVALID',
        message: expect.stringContaining('lacks column(s) pipeline'),
      }),
    );
    const other = path.join(ctx.dir, 'other.db');
    new Database(other).exec('CREATE TABLE t (x)').close();
    expect(() => openOrchestrationDb(other)).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/no "runs" table[\s\S]*CREATE TABLE runs[\s\S]*views/),
      }),
    );
  });

  it('opens in WAL mode with a busy timeout, and accepts views standing in for the tables', () => {
    const db = openOrchestrationDb(pipelineDb(), { busyTimeoutMs: 123 });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(123);
    db.close();
    const viaViews = path.join(ctx.dir, 'views.db');
    const raw = new Database(viaViews);
    raw.exec(
      PIPELINE_SCHEMA_SQL.replace(/TABLE runs /, 'TABLE pipeline_runs ')
        .replace(/TABLE steps /, 'TABLE pipeline_steps ')
        .replace(/ON runs\(/, 'ON pipeline_runs(')
        .replace(/ON steps\(/, 'ON pipeline_steps('),
    );
    raw.exec(
      'CREATE VIEW runs AS SELECT * FROM pipeline_runs; CREATE VIEW steps AS SELECT * FROM pipeline_steps;',
    );
    raw.close();
    openOrchestrationDb(viaViews).close();
  });
});

describe('migrations and the ledger', () => {
  it('applies every migration once and records it', () => {
    const db = openOrchestrationDb(pipelineDb());
    expect(runMigrations(db)).toEqual(MIGRATIONS.map((m) => m.id));
    expect(runMigrations(db)).toEqual([]);
    expect(db.prepare('SELECT count(*) FROM runwarden_migrations').pluck().get()).toBe(
      MIGRATIONS.length,
    );
    db.close();
  });

  it('records ledger entries idempotently and shows them in the status', () => {
    const db = openOrchestrationDb(pipelineDb());
    runMigrations(db);
    const ledger = createLedgerRecorder(db);
    const at = '2025-12-05T12:00:00.000Z';
    for (let i = 0; i < 2; i++) {
      ledger.record({
        kind: 'archive',
        eventId: 'r.completed',
        runId: 'r',
        at,
        outcome: { status: 'archived', path: '.archive/r.zip', bytes: 10, verified: true },
      });
      ledger.record({
        kind: 'report',
        eventId: 'r.completed',
        runId: 'r',
        path: 'reports/r_summary.json',
        outcome: 'failed',
        at,
      });
      ledger.record({
        kind: 'alert',
        deliveryId: 'r.completed.run_failure.console',
        eventId: 'r.completed',
        runId: 'r',
        rule: 'run_failure',
        channel: 'console',
        severity: 'critical',
        status: 'sent',
        eventIds: ['r.completed'],
        at,
      });
    }
    createScannerStore(db).commit({
      events: [
        {
          id: 'r.started',
          type: 'run_started',
          runId: 'r',
          pipeline: null,
          detectedAt: at,
          state: 'running',
        },
      ],
      runs: [{ runId: 'r', completed: false, stalled: false, stallCount: 0, stallChangeMs: null }],
      stepFailures: [],
    });
    const status = readStatus(db);
    expect(status).toMatchObject({
      activeRuns: 1,
      eventsByType: { run_started: 1 },
      pendingEvents: 1,
      archives: { archived: 1 },
      reports: 1,
      alerts: { sent: 1 },
    });
    expect(status.lastEvents[0]).toMatchObject({ id: 'r.started', enqueuedAt: null });
    db.close();
  });

  it('records an outbox event once however often it is committed', () => {
    const db = openOrchestrationDb(pipelineDb());
    runMigrations(db);
    const store = createScannerStore(db);
    const event = {
      id: 'r.completed',
      type: 'run_started' as const,
      runId: 'r',
      pipeline: null,
      detectedAt: 'x',
      state: 'running' as const,
    };
    expect(store.commit({ events: [event], runs: [], stepFailures: [] })).toHaveLength(1);
    expect(store.commit({ events: [event], runs: [], stepFailures: [] })).toHaveLength(0);
    store.markEnqueued(['r.completed'], 'now');
    expect(store.pending(10)).toEqual([]);
    db.close();
  });
});

describe('the per-run step summary', () => {
  it('counts steps by state, keeps unknown states in the total, and takes the latest change as SQLite orders values', () => {
    const file = pipelineDb();
    const writer = new Database(file);
    writer.exec(`INSERT INTO runs (run_id, state, created_at, updated_at) VALUES ('r', 'running', '2025-12-05T12:00:00Z', '2025-12-05T12:00:00Z');
      INSERT INTO steps (step_id, run_id, name, state, updated_at) VALUES
        ('a', 'r', 'a', 'succeeded', '2025-12-05T12:00:01Z'),
        ('b', 'r', 'b', 'succeeded', 1764936000),
        ('c', 'r', 'c', 'failed', '2025-12-05T12:00:03Z'),
        ('d', 'r', 'd', 'paused', '2025-12-05T12:00:02Z'),
        ('e', 'other', 'e', 'running', '2025-12-05T13:00:00Z');`);
    writer.close();
    const db = openOrchestrationDb(file);
    const [summary] = createPipelineReader(db).activeRuns();
    expect(summary).toMatchObject({
      runId: 'r',
      total: 4,
      succeeded: 2,
      failed: 1,
      running: 0,
      // Text sorts after numbers in SQLite, whatever the numbers say.
      maxStepUpdatedAt: '2025-12-05T12:00:03Z',
    });
    db.close();
  });
});

describe('pipeline helpers', () => {
  it('finds missing indexes', () => {
    const file = pipelineDb();
    const db = openOrchestrationDb(file);
    expect(findMissingIndexes(db)).toEqual([]);
    db.exec('DROP INDEX steps_run_state_idx');
    expect(findMissingIndexes(db).map((i) => i.name)).toEqual(['steps_run_state_idx']);
    // An index on run_id alone does not cover the per-run summary.
    db.exec('CREATE INDEX steps_run_id_only ON steps(run_id)');
    expect(findMissingIndexes(db).map((i) => i.name)).toEqual(['steps_run_state_idx']);
    db.exec('CREATE INDEX steps_covering ON steps(run_id, state, updated_at, step_id, name)');
    expect(findMissingIndexes(db)).toEqual([]);
    db.close();
  });
});

describe('the scanner lease row', () => {
  it('is written at most once per ttl, so its heartbeat does not look like a pipeline change every second', () => {
    const file = pipelineDb();
    let now = 1_000_000;
    const lease = createScannerDbLease({
      file,
      holder: 'a.token',
      redisIdentity: 'redis-1',
      redisLabel: 'redis://127.0.0.1:1 (prefix rw)',
      ttlMs: 10_000,
      now: () => now,
    });
    // The scanner's change check: PRAGMA data_version on its own connection.
    const scanner = new Database(file, { readonly: true });
    const version = () => scanner.pragma('data_version', { simple: true }) as number;
    expect(lease.claim()).toEqual({ ok: true });
    const afterFirst = version();
    now += 1_000;
    expect(lease.claim()).toEqual({ ok: true });
    now += 8_000;
    expect(lease.claim()).toEqual({ ok: true });
    expect(version()).toBe(afterFirst);
    now += 1_000;
    expect(lease.claim()).toEqual({ ok: true });
    expect(version()).not.toBe(afterFirst);
    const row = scanner
      .prepare('SELECT heartbeat_at, expires_at FROM runwarden_scanner_lease')
      .get();
    expect(row).toEqual({ heartbeat_at: now, expires_at: now + 30_000 });
    scanner.close();
    lease.close();
  });
});
