import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '@runwarden/core';
import {
  createLedgerRecorder,
  createPipelineWriter,
  openOrchestrationDb,
  runMigrations,
  type LedgerRecorder,
} from '@runwarden/store';
import { createLedgerBatcher } from './ledger-consumer.js';

const entry = (runId: string): LedgerEntry => ({
  kind: 'report',
  eventId: `${runId}.completed`,
  runId,
  // `bad` breaks runwarden_reports' NOT NULL on path: that entry fails by itself.
  path: (runId === 'bad' ? null : `reports/${runId}_summary.json`) as string,
  outcome: 'succeeded',
  at: '2026-10-01T00:00:00.000Z',
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A real SQLite ledger; `batches` counts the transactions that committed, `singles` the one-entry writes. */
function sqliteRecorder(busyTimeoutMs = 250) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runwarden-ledger-'));
  dirs.push(dir);
  const file = path.join(dir, 'orchestration.db');
  createPipelineWriter(file).close(); // the pipeline's tables, as a pipeline leaves them
  const db = openOrchestrationDb(file, { busyTimeoutMs });
  runMigrations(db);
  const real = createLedgerRecorder(db);
  const batches: number[] = [];
  let singles = 0;
  const recorder: LedgerRecorder = {
    record(e) {
      singles += 1;
      real.record(e);
    },
    recordMany(entries) {
      real.recordMany(entries);
      batches.push(entries.length);
    },
  };
  const committed = () =>
    (
      db.prepare('SELECT run_id FROM runwarden_reports ORDER BY run_id').all() as {
        run_id: string;
      }[]
    ).map((r) => r.run_id);
  return { recorder, committed, batches, singles: () => singles, file, close: () => db.close() };
}

describe('the ledger batcher (real SQLite)', () => {
  it('writes entries that arrive together in one transaction and settles each only after its commit', async () => {
    const ledger = sqliteRecorder();
    const record = createLedgerBatcher(ledger.recorder, 64, 5);
    const settled: string[] = [];
    const all = ['a', 'b', 'c'].map((id) =>
      record(entry(id)).then(() => settled.push(`${id}:${ledger.committed().includes(id)}`)),
    );
    expect(ledger.committed()).toEqual([]);
    await Promise.all(all);
    expect(ledger.batches).toEqual([3]);
    expect(settled).toEqual(['a:true', 'b:true', 'c:true']);
    ledger.close();
  });

  it('writes a full batch at once and starts the next', async () => {
    const ledger = sqliteRecorder();
    const record = createLedgerBatcher(ledger.recorder, 2, 1_000);
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => record(entry(id))));
    expect(ledger.batches).toEqual([2, 2]);
    ledger.close();
  });

  it('fails only the entry that cannot be written when its batch rolls back', async () => {
    const ledger = sqliteRecorder();
    const record = createLedgerBatcher(ledger.recorder, 64, 5);
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((id) => record(entry(id))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(ledger.committed()).toEqual(['a', 'c']);
    ledger.close();
  });

  it('fails a whole batch at once while another writer holds the database, without trying each entry', async () => {
    const ledger = sqliteRecorder(20);
    const other = new Database(ledger.file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const record = createLedgerBatcher(ledger.recorder, 64, 5);
      const results = await Promise.allSettled(['a', 'b', 'c'].map((id) => record(entry(id))));
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
      expect(ledger.singles()).toBe(0);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(ledger.committed()).toEqual([]);
    ledger.close();
  });
});
