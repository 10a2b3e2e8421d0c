import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '@runwarden/testing';
import { createLedgerRecorder } from './ledger-recorder.js';
import { runMigrations } from './migrations.js';
import { openOrchestrationDb } from './open-db.js';
import { createPipelineWriter } from './pipeline-writer.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('retention-ledger');
});
afterEach(() => ctx.cleanup());

describe('retention in the ledger', () => {
  it('records each deletion once in runwarden_retention', () => {
    const file = path.join(ctx.dir, 'orchestration.db');
    createPipelineWriter(file).close();
    const db = openOrchestrationDb(file);
    ctx.defer(() => db.close());
    runMigrations(db);
    const ledger = createLedgerRecorder(db);
    const entry = {
      kind: 'retention' as const,
      runId: 'r1',
      pipeline: 'etl',
      archivedAt: '2026-10-01T00:00:00.000Z',
      reason: 'maxAge' as const,
      bytes: 1234,
      files: ['/a/r1.zip.json', '/a/r1.zip'],
      at: '2026-11-30T12:00:00.000Z',
    };
    ledger.record(entry);
    ledger.record(entry);
    expect(db.prepare('SELECT * FROM runwarden_retention').all()).toEqual([
      {
        run_id: 'r1',
        archived_at: '2026-10-01T00:00:00.000Z',
        pipeline: 'etl',
        reason: 'maxAge',
        bytes: 1234,
        files: '["/a/r1.zip.json","/a/r1.zip"]',
        at: '2026-11-30T12:00:00.000Z',
      },
    ]);
  });
});

describe('a batch of ledger entries', () => {
  it('is committed in one transaction: all of it, or none of it when one entry fails', () => {
    const file = path.join(ctx.dir, 'orchestration.db');
    createPipelineWriter(file).close();
    const db = openOrchestrationDb(file);
    ctx.defer(() => db.close());
    runMigrations(db);
    const ledger = createLedgerRecorder(db);
    const report = (eventId: string, runId: string) => ({
      kind: 'report' as const,
      eventId,
      runId,
      path: `reports/${runId}_summary.json`,
      outcome: 'succeeded',
      at: '2026-10-01T00:00:00.000Z',
    });
    const count = () => db.prepare('SELECT count(*) FROM runwarden_reports').pluck().get();
    ledger.recordMany([report('a.completed', 'a'), report('b.completed', 'b')]);
    ledger.recordMany([report('a.completed', 'a'), report('b.completed', 'b')]);
    expect(count()).toBe(2);
    // run_id is NOT NULL: the whole batch rolls back, the good entry with it.
    const bad = { ...report('d.completed', 'd'), runId: null as unknown as string };
    expect(() => ledger.recordMany([report('c.completed', 'c'), bad])).toThrow();
    expect(count()).toBe(2);
  });
});
