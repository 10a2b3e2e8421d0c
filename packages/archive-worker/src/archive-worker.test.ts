import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRedisConnection,
  eventIds,
  type ArchiveOutcome,
  type EventType,
  type QueueWorker,
} from '@runwarden/core';
import {
  compareExtraction,
  createTestContext,
  type TestContext,
  unzipTest,
  waitFor,
} from '@runwarden/testing';
import { createArchiveWorker } from './archive-worker.js';
import {
  addArchiveJob,
  completedRun,
  createArchiveFixture,
  type ArchiveFixture,
} from './archive-worker.fixture.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
let ctx: TestContext;

beforeEach(() => {
  ctx = createTestContext('archive-worker');
});
afterEach(() => ctx.cleanup());

function startWorker(
  fx: ArchiveFixture,
  extra: { lockDuration?: number; alertTypes?: ReadonlySet<EventType> } = {},
): QueueWorker {
  const worker = createArchiveWorker({
    config: fx.config,
    logger: fx.logger,
    queues: fx.queues,
    redisUrl: ctx.redisUrl,
    threads: 2,
    progressIntervalMs: 0,
    ...extra,
  });
  ctx.defer(() => worker.close());
  return worker;
}

function makeWorktree(fx: ArchiveFixture, runId: string, bigFiles = 0): string {
  const root = path.join(fx.worktrees, runId);
  mkdirSync(path.join(root, 'logs'), { recursive: true });
  writeFileSync(path.join(root, 'logs', 'run.log'), 'step ok\n'.repeat(10_000));
  writeFileSync(path.join(root, 'summary.json'), '{"ok":true}\n');
  for (let i = 0; i < bigFiles; i += 1) {
    const data = Buffer.alloc(8 * 1024 * 1024);
    for (let at = 0; at < data.length; at += 1 << 20) {
      if ((at >> 20) % 2 === 0) randomFillSync(data.subarray(at, at + (1 << 20)));
      else data.write(`epoch ${i} ${at} loss=0.25 accuracy=0.75 `.repeat(30_000), at);
    }
    writeFileSync(path.join(root, `part-${i}.bin`), data);
  }
  return root;
}

async function finished(fx: ArchiveFixture, jobId: string): Promise<Job> {
  return waitFor(
    async () => {
      // State first, then the job: a job read before its state changed is stale.
      const state = await fx.queues.get('archive').getJobState(jobId);
      return state === 'completed' || state === 'failed'
        ? Job.fromId(fx.queues.get('archive'), jobId)
        : undefined;
    },
    `archive job ${jobId} to finish`,
    60_000,
  );
}

describe('createArchiveWorker', () => {
  it('archives the run, returns the outcome, reports progress and records it in the ledger', async () => {
    const fx = createArchiveFixture(ctx);
    const root = makeWorktree(fx, 'run-7', 1);
    startWorker(fx);
    const event = completedRun('run-7');
    await addArchiveJob(fx.queues, event);
    const job = await finished(fx, event.id);
    const outcome = job.returnvalue as ArchiveOutcome;
    expect(outcome).toMatchObject({
      status: 'archived',
      verified: true,
      path: path.join(fx.archives, 'run-7.zip'),
      entries: 4,
    });
    expect(job.progress).toMatchObject({
      bytesDone: outcome.sourceBytes,
      bytesTotal: outcome.sourceBytes,
      entriesTotal: 4,
    });
    expect(unzipTest(outcome.path!).status).toBe(0);
    expect(compareExtraction(outcome.path!, root, path.join(ctx.dir, 'out'))).toEqual([]);
    const ledger = await Job.fromId(fx.queues.get('ledger'), `archive.${event.id}`);
    expect(ledger?.data).toMatchObject({
      kind: 'archive',
      eventId: event.id,
      runId: 'run-7',
      outcome: { status: 'archived', sha256: outcome.sha256 },
    });
  });

  it('records a skipped outcome when the run has no worktree', async () => {
    const fx = createArchiveFixture(ctx);
    startWorker(fx);
    const event = completedRun('run-none');
    await addArchiveJob(fx.queues, event);
    const job = await finished(fx, event.id);
    expect(job.returnvalue).toEqual(
      expect.objectContaining({ status: 'skipped', reason: 'no worktree' }),
    );
    expect(
      (await Job.fromId(fx.queues.get('ledger'), `archive.${event.id}`))?.data.outcome.status,
    ).toBe('skipped');
  });

  it('fails an unsafe run id at once, dead-letters it and raises archival_failed', async () => {
    const fx = createArchiveFixture(ctx, { attempts: 5 });
    startWorker(fx);
    const event = completedRun('../../etc');
    await addArchiveJob(fx.queues, event);
    const job = await finished(fx, event.id);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/unsafe run id/);
    const alert = await Job.fromId(fx.queues.get('alert'), eventIds.archivalFailed('../../etc'));
    expect(alert?.data).toMatchObject({
      type: 'archival_failed',
      runId: '../../etc',
      attempts: 1,
      jobId: event.id,
    });
    expect(
      (await Job.fromId(fx.queues.get('dead-letter'), `archive.${event.id}`))?.data,
    ).toMatchObject({ unrecoverable: true });
    expect(
      (await Job.fromId(fx.queues.get('ledger'), `archive.${event.id}`))?.data.outcome,
    ).toMatchObject({ status: 'failed' });
    expect(readdirSync(ctx.dir)).not.toContain('archive');
  });

  it('routes archival_failed like every event: no alert job when no rule can match it', async () => {
    const fx = createArchiveFixture(ctx, { attempts: 1 });
    startWorker(fx, { alertTypes: new Set<EventType>(['run_completed']) });
    const event = completedRun('../unsafe');
    await addArchiveJob(fx.queues, event);
    await finished(fx, event.id);
    // Logged after the (filtered) enqueue.
    await waitFor(
      () => fx.logs.some((l) => /could not be archived/.test(String(l.msg))),
      'the archival_failed log line',
    );
    expect(await Job.fromId(fx.queues.get('alert'), eventIds.archivalFailed('../unsafe'))).toBe(
      undefined,
    );
  });

  it('retries a lack of space, then dead-letters it with an alert, writing no file', async () => {
    const fx = createArchiveFixture(ctx, { attempts: 2, diskSpaceFactor: 1e9 });
    makeWorktree(fx, 'run-full');
    startWorker(fx);
    const event = completedRun('run-full');
    await addArchiveJob(fx.queues, event);
    const job = await finished(fx, event.id);
    expect(job.attemptsMade).toBe(2);
    expect(job.failedReason).toMatch(/not enough free space/);
    const alert = await waitFor(
      () => Job.fromId(fx.queues.get('alert'), eventIds.archivalFailed('run-full')),
      'the archival_failed alert',
    );
    expect(alert.data).toMatchObject({
      attempts: 2,
      reason: expect.stringMatching(/not enough free space/),
    });
    expect(readdirSync(fx.archives)).toEqual([]);
  });

  it('after kill -9 mid-zip leaves no final zip, and the next worker completes the job', async () => {
    const fx = createArchiveFixture(ctx);
    const root = makeWorktree(fx, 'run-kill', 6);
    const event = completedRun('run-kill');
    await addArchiveJob(fx.queues, event);
    const log = openSync(path.join(ctx.dir, 'child.log'), 'w');
    const child = spawn(
      process.execPath,
      [
        '--conditions=@runwarden/source',
        '--import',
        'tsx',
        path.join(repoRoot, 'packages/archive-worker/src/archive-worker.child.ts'),
      ],
      {
        cwd: repoRoot,
        stdio: ['ignore', log, log],
        env: {
          ...process.env,
          RW_REDIS_URL: ctx.redisUrl,
          RW_PREFIX: ctx.prefix,
          RW_WORKTREES: fx.worktrees,
          RW_ARCHIVE: fx.archives,
          RW_LOCK_MS: '1000',
        },
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    ctx.defer(() => child.kill('SIGKILL'));
    await waitFor(
      async () => {
        const job = await Job.fromId(fx.queues.get('archive'), event.id);
        const progress = job?.progress as { bytesDone?: number } | undefined;
        return (
          (progress?.bytesDone ?? 0) > 0 &&
          existsSync(fx.archives) &&
          readdirSync(fx.archives).some((f) => f.startsWith('.run-kill.zip.tmp-'))
        );
      },
      'the child to be part-way through the zip',
      60_000,
      5,
    );
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(path.join(fx.archives, 'run-kill.zip'))).toBe(false);

    const next = startWorker(fx, { lockDuration: 1000 });
    // BullMQ hands back a job whose lock lapsed after two stalled checks, which
    // are throttled queue-wide (the dead worker set that throttle at its start
    // for its own stalled interval). The test shortens the interval below the
    // lock duration the harness sets it to, and clears the throttle, instead of waiting.
    (next.worker.opts as { stalledInterval: number }).stalledInterval = 300;
    const admin = createRedisConnection(ctx.redisUrl);
    ctx.defer(() => admin.quit());
    await admin.del(`${ctx.prefix}:archive:stalled-check`);
    await next.worker.startStalledCheckTimer();
    const job = await finished(fx, event.id);
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toMatchObject({ status: 'archived', verified: true, reused: false });
    expect(readdirSync(fx.archives).sort()).toEqual(['run-kill.zip', 'run-kill.zip.json']);
    expect(unzipTest(path.join(fx.archives, 'run-kill.zip')).status).toBe(0);
    expect(
      compareExtraction(path.join(fx.archives, 'run-kill.zip'), root, path.join(ctx.dir, 'out')),
    ).toEqual([]);
  }, 90_000);
});
