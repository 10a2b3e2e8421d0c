import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createRedisConnection, enqueueEvent, QUEUES, scannerLeaseKey } from '@runwarden/core';
import {
  createPipelineReader,
  createScannerStore,
  openOrchestrationDb,
  runMigrations,
} from '@runwarden/store';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { createScanCycle } from './scan-cycle.js';
import { createScannerFixture, logsMatching, type ScannerFixture } from './scanner.fixture.js';

let ctx: TestContext;
let fx: ScannerFixture;
beforeEach(() => {
  ctx = createTestContext('scanner-ops');
  fx = createScannerFixture(ctx);
});
afterEach(() => ctx.cleanup());

const jobIds = async (queue: 'alert' | 'report' | 'archive') =>
  (
    await fx.queues
      .get(QUEUES[queue])
      .getJobs(['waiting', 'waiting-children', 'active', 'completed', 'failed', 'delayed'])
  )
    .map((j) => j.id)
    .sort();

describe('scanner operations', () => {
  it('names the database, not Redis, when the lease row cannot be written', async () => {
    const scanner = fx.scanner();
    await scanner.start();
    await waitFor(() => scanner.isLeader(), 'the lease');
    // The pipeline holds the write lock longer than the lease's 2 s wait, when a heartbeat is due.
    fx.writer.db.exec('BEGIN IMMEDIATE');
    try {
      await waitFor(
        () =>
          logsMatching(fx.logs, 'Could not renew the scanner lease: the lease row in').length > 0,
        'the warning',
        10_000,
      );
    } finally {
      fx.writer.db.exec('COMMIT');
    }
    const [warning] = logsMatching(fx.logs, 'Could not renew the scanner lease');
    expect(warning?.msg).toContain(`the lease row in ${fx.config.database} could not be checked`);
    expect(warning?.msg).not.toContain('Redis');
  });

  it('enqueues events recorded in the outbox before a crash, once', async () => {
    fx.writer.run({ runId: 'r', state: 'succeeded' });
    // The crash: a scan recorded the event, the process died before enqueueing it.
    const db = openOrchestrationDb(fx.config.database);
    runMigrations(db);
    const store = createScannerStore(db);
    const cycle = createScanCycle({
      reader: createPipelineReader(db),
      store,
      logger: fx.logger,
      stallThresholdMs: 300,
      clock: () => fx.clock.now,
    });
    expect(cycle.scan().fresh.map((e) => e.id)).toEqual(['r.completed']);
    db.close();
    expect(await jobIds('alert')).toEqual([]);
    const scanner = fx.scanner();
    await scanner.start();
    await waitFor(async () => (await jobIds('alert')).length === 1, 'the replayed alert job');
    expect(await jobIds('report')).toEqual(['r.completed']);
    expect(logsMatching(fx.logs, 'Re-enqueued run_completed r.completed')).toHaveLength(1);
    expect((await scanner.scanNow()).enqueued).toBe(0);
  });

  it('does not duplicate jobs when the same flow and alert are added again', async () => {
    fx.writer.run({ runId: 'r', state: 'succeeded' });
    const scanner = fx.scanner();
    await scanner.start();
    await waitFor(async () => (await jobIds('alert')).length === 1, 'the alert job');
    const event = (await fx.queues.get(QUEUES.alert).getJob('r.completed'))!.data;
    await enqueueEvent(fx.queues, event);
    await enqueueEvent(fx.queues, event);
    expect(await jobIds('report')).toEqual(['r.completed']);
    expect(await jobIds('archive')).toEqual(['r.completed']);
    expect(await fx.queues.get(QUEUES.archive).getJobCounts('waiting')).toEqual({ waiting: 1 });
    expect(await jobIds('alert')).toEqual(['r.completed']);
  });

  it('lets one of two scanners scan; the standby takes over when the holder stops; no job twice', async () => {
    const a = fx.scanner({ instanceId: 'scanner-a' });
    const b = fx.scanner({ instanceId: 'scanner-b' });
    await a.start();
    await b.start();
    await waitFor(() => a.isLeader() || b.isLeader(), 'a leader');
    expect(a.isLeader() && b.isLeader()).toBe(false);
    const [holder, standby] = a.isLeader() ? [a, b] : [b, a];
    expect((await standby.scanNow()).leader).toBe(false);
    fx.writer.run({ runId: 'one', state: 'succeeded' });
    await waitFor(
      async () => (await jobIds('alert')).includes('one.completed'),
      'first run announced',
    );
    await holder.close();
    await waitFor(() => standby.isLeader(), 'the standby to take over');
    fx.writer.run({ runId: 'two', state: 'failed' });
    await waitFor(
      async () => (await jobIds('alert')).includes('two.completed'),
      'second run announced',
    );
    await standby.scanNow();
    expect(await jobIds('alert')).toEqual(['one.completed', 'two.completed']);
  });

  it('stops enqueueing when its lease was taken while it paused (fencing)', async () => {
    const scanner = fx.scanner({ instanceId: 'paused' });
    await scanner.start();
    await waitFor(() => scanner.isLeader(), 'the lease');
    const redis = createRedisConnection(ctx.redisUrl);
    ctx.defer(() => redis.disconnect());
    await redis.set(scannerLeaseKey(ctx.prefix), 'someone-else', 'PX', 60_000);
    fx.writer.run({ runId: 'late', state: 'succeeded' });
    await scanner.scanNow().catch(() => undefined);
    await waitFor(() => !scanner.isLeader(), 'the scanner to notice it lost the lease');
    expect(await jobIds('alert')).toEqual([]);
    expect(logsMatching(fx.logs, 'lease').length).toBeGreaterThan(0);
  });

  it('waits for a writer holding a long transaction and catches up', async () => {
    const scanner = fx.scanner();
    await scanner.start();
    await waitFor(() => scanner.isLeader(), 'the lease');
    fx.writer.run({ runId: 'warm', state: 'running' });
    await waitFor(async () => (await jobIds('alert')).includes('warm.started'), 'the first event');
    const locker = new Database(fx.config.database);
    ctx.defer(() => locker.close());
    fx.writer.run({ runId: 'r', state: 'succeeded' });
    locker.exec('BEGIN IMMEDIATE');
    await waitFor(
      () => logsMatching(fx.logs, 'locked by another writer').length > 0,
      'the locked-database warning',
    );
    expect(await jobIds('alert')).toEqual(['warm.started']);
    locker.exec('COMMIT');
    await waitFor(
      async () => (await jobIds('alert')).includes('r.completed'),
      'the run announced after the lock',
    );
    await waitFor(() => logsMatching(fx.logs, 'caught up').length > 0, 'the caught-up line');
  });

  it('logs and skips bad rows (unknown state, bad timestamp) and goes on scanning', async () => {
    fx.writer.run({ runId: 'weird', state: 'exploded' });
    fx.writer.run({ runId: 'when', state: 'running', updatedAt: 'yesterday' });
    fx.writer.run({ runId: 'odd-step', state: 'running' });
    fx.writer.step({ stepId: 'z', runId: 'odd-step', state: 'vanished' });
    fx.writer.run({ runId: 'good', state: 'succeeded' });
    const scanner = fx.scanner();
    await scanner.start();
    await waitFor(
      async () => (await jobIds('alert')).includes('good.completed'),
      'the good run announced',
    );
    const result = await scanner.scanNow();
    expect(result.skipped.map((r) => `${r.runId} ${r.column}`).sort()).toEqual([
      'odd-step state',
      'weird state',
      'when updated_at',
    ]);
    expect(logsMatching(fx.logs, '(run weird): state "exploded" is not one of')).toHaveLength(1);
    expect(logsMatching(fx.logs, '(run when): updated_at "yesterday" is neither')).toHaveLength(1);
    expect(logsMatching(fx.logs, '(run odd-step): state of 1 step(s) is not one of')).toHaveLength(
      1,
    );
    expect(await jobIds('alert')).toEqual(['good.completed', 'odd-step.started']);
  });

  it('fails start with DATABASE_MISSING when the database file is not there', async () => {
    const scanner = fx.scanner();
    fx.config.database = `${ctx.dir}/nope.db`;
    await expect(scanner.start()).rejects.toMatchObject({
      code: 'DATABASE_MISSING',
      message: expect.stringContaining('nope.db'),
    });
  });

  it('warns with the CREATE INDEX statements when the pipeline lacks the indexes', async () => {
    fx.writer.db.exec('DROP INDEX runs_state_idx');
    const scanner = fx.scanner();
    await scanner.start();
    const [line] = logsMatching(
      fx.logs,
      'CREATE INDEX IF NOT EXISTS runs_state_idx ON runs(state)',
    );
    expect(line?.level).toBe(40);
  });
});
