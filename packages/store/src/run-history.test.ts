import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completedEvent, createTestContext, step, type TestContext } from '@runwarden/testing';
import {
  PIPELINE_SCHEMA_SQL,
  createLedgerRecorder,
  createScannerStore,
  openRunHistory,
  runMigrations,
} from './index.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('run-history');
});
afterEach(() => ctx.cleanup());

/** A database as a scanner leaves it: three finished runs and what the ledger recorded. */
function recordedDb(journal: 'wal' | 'delete' = 'wal'): string {
  const file = path.join(ctx.dir, 'orchestration.db');
  const db = new Database(file);
  db.pragma(`journal_mode = ${journal}`);
  db.exec(PIPELINE_SCHEMA_SQL);
  runMigrations(db);
  const store = createScannerStore(db);
  const old = {
    ...completedEvent('old-1', [step('a', 'succeeded')]),
    detectedAt: '2025-01-01T00:00:00.000Z',
  };
  const fresh = (runId: string, pipeline: string, state: 'succeeded' | 'failed') => ({
    ...completedEvent(
      runId,
      [step(`${runId}.a`, 'succeeded'), step(`${runId}.b`, state)],
      undefined,
      pipeline,
    ),
    detectedAt: new Date().toISOString(),
  });
  store.commit({
    events: [old, fresh('etl-2', 'etl', 'succeeded'), fresh('ml-1', 'ml', 'failed')],
    runs: [],
    stepFailures: [],
  });
  const ledger = createLedgerRecorder(db);
  ledger.record({
    kind: 'archive',
    eventId: 'ml-1.completed',
    runId: 'ml-1',
    outcome: {
      status: 'archived',
      path: '/a/ml-1.zip',
      bytes: 99,
      sha256: 'ab'.repeat(32),
      verified: true,
    },
    at: new Date().toISOString(),
  });
  ledger.record({
    kind: 'report',
    eventId: 'ml-1.completed',
    runId: 'ml-1',
    path: '/r/ml-1_summary.json',
    outcome: 'failed',
    at: new Date().toISOString(),
  });
  ledger.record({
    kind: 'alert',
    deliveryId: 'ml-1.completed.run_failure.email',
    eventId: 'ml-1.completed',
    runId: 'ml-1',
    rule: 'run_failure',
    channel: 'email',
    severity: 'critical',
    status: 'failed',
    eventIds: ['ml-1.completed'],
    detail: '451 mailbox busy',
    at: new Date().toISOString(),
  });
  db.close();
  return file;
}

describe('openRunHistory', () => {
  it('lists finished runs newest first, filtered by pipeline, outcome and time, with the ledger joined', () => {
    const history = openRunHistory(recordedDb());
    expect(history.listRuns({}).map((r) => r.runId)).toEqual(['ml-1', 'etl-2', 'old-1']);
    expect(history.listRuns({ pipeline: 'etl' }).map((r) => r.runId)).toEqual(['etl-2', 'old-1']);
    expect(history.listRuns({ outcome: 'failed' }).map((r) => r.runId)).toEqual(['ml-1']);
    const since = new Date(Date.now() - 3_600_000).toISOString();
    expect(history.listRuns({ since, pipeline: 'etl' }).map((r) => r.runId)).toEqual(['etl-2']);
    expect(history.listRuns({ limit: 1 })).toHaveLength(1);
    expect(history.pipelines()).toEqual(['etl', 'ml']);
    const [ml] = history.listRuns({ outcome: 'failed' });
    expect(ml).toMatchObject({
      outcome: 'failed',
      stepTotal: 2,
      stepFailed: 1,
      archive: { status: 'archived', bytes: 99, sha256: 'ab'.repeat(32), verified: 1 },
      reportPath: '/r/ml-1_summary.json',
      alerts: [
        { rule: 'run_failure', channel: 'email', status: 'failed', detail: '451 mailbox busy' },
      ],
    });
    const detail = history.runDetail('ml-1');
    expect(detail?.event).toMatchObject({ type: 'run_completed', runId: 'ml-1' });
    expect(history.runDetail('nope')).toBeUndefined();
  });

  it('never writes: the file is the same bytes after reading, and no journal is left', () => {
    const file = recordedDb('delete');
    const before = readFileSync(file);
    const mtime = statSync(file).mtimeMs;
    const history = openRunHistory(file);
    history.listRuns({});
    history.runDetail('ml-1');
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(mtime);
  });

  it('says what is wrong when the file is missing, has no runwarden tables, or is locked', () => {
    expect(() => openRunHistory(path.join(ctx.dir, 'absent.db')).listRuns({})).toThrow(
      expect.objectContaining({
        code: 'DATABASE_MISSING',
        message: expect.stringContaining('absent.db cannot be opened'),
      }),
    );
    const bare = path.join(ctx.dir, 'bare.db');
    new Database(bare).exec(PIPELINE_SCHEMA_SQL).close();
    expect(() => openRunHistory(bare).listRuns({})).toThrow(
      expect.objectContaining({
        code: 'DATABASE_INVALID',
        message: expect.stringContaining('start a scanner on it'),
      }),
    );
    const file = recordedDb('delete');
    const writer = new Database(file);
    writer.exec('BEGIN EXCLUSIVE');
    try {
      expect(() => openRunHistory(file, { busyTimeoutMs: 20 }).listRuns({})).toThrow(
        expect.objectContaining({
          code: 'DATABASE_BUSY',
          message: expect.stringContaining('is locked by another process'),
        }),
      );
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });
});
