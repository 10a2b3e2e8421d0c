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
