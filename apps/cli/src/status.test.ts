import { Worker, type JobType } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRedisConnection,
  QueueSet,
  QUEUES,
  runwardenConfigSchema,
  type QueueName,
} from '@runwarden/core';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { formatStatus, readStatus } from './commands/status.js';
import { formatProgress } from './progress-bar.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('status');
});
afterEach(() => ctx.cleanup());

describe('runwarden status', () => {
  it('shows the lease holder, queue counts, dead letters and archive progress', async () => {
    const config = runwardenConfigSchema.parse({
      redis: { url: ctx.redisUrl, prefix: ctx.prefix },
    });
    const redis = createRedisConnection(ctx.redisUrl);
    const queues = new QueueSet({ connection: redis, prefix: ctx.prefix, config });
    ctx.defer(() => redis.quit());
    ctx.defer(() => queues.close());
    await redis.set(`${ctx.prefix}:scanner:lease`, 'host-1-abc');
    await redis.hset(`${ctx.prefix}:scanner:status`, {
      holder: 'host-1-abc',
      lastScanAt: '2026-11-26T14:00:00.000Z',
      lastScanMs: '12',
      activeRuns: '7',
      eventsEnqueued: '40',
      skippedRows: '1',
      skippedRowsText: '1 row skipped: runs rowid 7 (run r-7): updated_at 99999999999999 is …',
    });
    await queues.addDeadLetter({
      queue: 'archive',
      jobId: 'r9.completed',
      name: 'run_completed',
      data: { runId: 'r9' },
      failedReason: 'disk full',
      attemptsMade: 5,
      unrecoverable: false,
      failedAt: '2026-11-26T14:00:00Z',
    });

    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const worker = new Worker(
      QUEUES.archive,
      async (job) => {
        await job.updateProgress({
          bytesDone: 3 * 1024 * 1024,
          bytesTotal: 12 * 1024 * 1024,
          entriesDone: 1,
          entriesTotal: 4,
        });
        await held;
      },
      { connection: createRedisConnection(ctx.redisUrl), prefix: ctx.prefix },
    );
    ctx.defer(() => worker.close());
    ctx.defer(() => release());
    await queues
      .get(QUEUES.archive)
      .add('run_completed', { runId: 'run-7' }, { jobId: 'run-7.completed' });

    const admin = { redis, queues, prefix: ctx.prefix, close: async () => undefined };
    await waitFor(
      async () => (await readStatus(admin, 'redis://test')).archiving[0]?.bytesDone,
      'the archive job to report progress',
    );
    // Read again now that the job is held in progress, so the counts and the progress agree.
    const status = await readStatus(admin, 'redis://test');
    expect(status.scanner).toMatchObject({
      holder: 'host-1-abc',
      activeRuns: 7,
      lastScanMs: 12,
      eventsEnqueued: 40,
    });
    expect(status.deadLetters).toBe(1);
    expect(status.queues.archive).toMatchObject({ active: 1 });
    // status reads BullMQ's keys itself (so it never loads BullMQ): the counts must be BullMQ's own.
    await queues.get(QUEUES.report).add('run_failed', { runId: 'r1' }, { delay: 60_000 });
    await queues.get(QUEUES.report).add('run_failed', { runId: 'r2' }, { priority: 3 });
    await queues.get(QUEUES.report).add('run_failed', { runId: 'r3' });
    const again = await readStatus(admin, 'redis://test');
    for (const name of Object.keys(again.queues))
      expect(again.queues[name], name).toEqual(
        await queues
          .get(name as QueueName)
          .getJobCounts(...(Object.keys(again.queues[name]!) as JobType[])),
      );
    expect(again.queues.report).toMatchObject({ waiting: 1, delayed: 1, prioritized: 1 });
    const text = formatStatus(status, false);
    expect(text).toContain(
      'Scanner: lease held by host-1-abc; last scan 2026-11-26T14:00:00.000Z (12 ms); monitoring 7 active runs',
    );
    expect(text).toContain(
      'Scanner: 1 row skipped: runs rowid 7 (run r-7): updated_at 99999999999999 is … (the scanner',
    );
    expect(text).toContain('Archiving now:\n  run-7                     25% (3.0 MiB of 12.0 MiB)');
    expect(text).toContain('Dead letters: 1 — see `runwarden dlq list`');
    release();
  });

  it('says when no scanner holds the lease', async () => {
    const redis = createRedisConnection(ctx.redisUrl);
    ctx.defer(() => redis.quit());
    const status = await readStatus(
      { redis, prefix: ctx.prefix, close: async () => undefined },
      'redis://test',
    );
    expect(formatStatus(status)).toContain(
      'Scanner: no scanner holds the lease: start one with `runwarden scanner` or `runwarden start`',
    );
  });
});

describe('formatProgress', () => {
  it('draws a bar on a terminal and plain figures elsewhere', () => {
    expect(formatProgress({ done: 1024 * 1024, total: 4 * 1024 * 1024 }, true, 8)).toBe(
      '[██░░░░░░]  25% 1.0 MiB of 4.0 MiB',
    );
    expect(formatProgress({ done: 0, total: 0 }, false)).toBe('  0% (0.0 MiB of 0.0 MiB)');
  });
});

describe('runwarden status: retention', () => {
  it("shows the retention job's last run", async () => {
    const config = runwardenConfigSchema.parse({
      redis: { url: ctx.redisUrl, prefix: ctx.prefix },
    });
    const redis = createRedisConnection(ctx.redisUrl);
    const queues = new QueueSet({ connection: redis, prefix: ctx.prefix, config });
    ctx.defer(() => redis.quit());
    ctx.defer(() => queues.close());
    const admin = { redis, queues, prefix: ctx.prefix, close: async () => undefined };
    expect(formatStatus(await readStatus(admin, 'redis://test'))).toContain(
      'Retention: has not run (set archive.retention to delete old archives)',
    );
    await redis.hset(`${ctx.prefix}:retention:status`, {
      lastRunAt: '2026-11-30T12:00:00.000Z',
      lastDeleted: '2',
      lastFreedBytes: String(3 * 1024 * 1024),
      archives: '4',
      archiveBytes: String(10 * 1024 * 1024),
      totalDeleted: '7',
    });
    expect(formatStatus(await readStatus(admin, 'redis://test'))).toContain(
      'Retention: last run 2026-11-30T12:00:00.000Z deleted 2 archive(s) (3.0 MiB); 4 archive(s) kept (10.0 MiB); 7 deleted in all',
    );
  });
});
