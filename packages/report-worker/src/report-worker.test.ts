import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLogger,
  createRedisConnection,
  QueueSet,
  QUEUES,
  runwardenConfigSchema,
  type QueueWorker,
  type RunwardenConfig,
} from '@runwarden/core';
import {
  completedEvent,
  createTestContext,
  step,
  type TestContext,
  waitFor,
} from '@runwarden/testing';
import { createReportWorker } from './report-worker.js';

let ctx: TestContext;
let config: RunwardenConfig;
let queues: QueueSet;
let worker: QueueWorker;

beforeEach(() => {
  ctx = createTestContext('report-worker');
  config = runwardenConfigSchema.parse({
    redis: { url: ctx.redisUrl, prefix: ctx.prefix },
    paths: {
      worktrees: path.join(ctx.dir, 'wt'),
      archive: path.join(ctx.dir, 'archive'),
      reports: path.join(ctx.dir, 'reports'),
    },
    queues: { archive: { attempts: 2, backoff: { type: 'fixed', delay: 10 } } },
  });
  const connection = createRedisConnection(ctx.redisUrl);
  queues = new QueueSet({ connection, prefix: ctx.prefix, config });
  worker = createReportWorker({
    config,
    logger: createLogger({ level: 'silent' }),
    queues,
    redisUrl: ctx.redisUrl,
  });
  ctx.defer(() => connection.quit());
  ctx.defer(() => queues.close());
  ctx.defer(() => worker.close());
});
afterEach(() => ctx.cleanup());

/** A stand-in archive worker: a real BullMQ worker on the archive queue. */
function archiveStandIn(result: 'ok' | 'fail'): Worker {
  const w = new Worker(
    QUEUES.archive,
    async (job) => {
      if (result === 'fail')
        throw new UnrecoverableError('not enough disk space for run ' + job.data.runId);
      return {
        status: 'archived',
        path: `/x/${job.data.runId}.zip`,
        bytes: 42,
        entries: 3,
        sha256: 'f00',
        verified: true,
      };
    },
    { connection: { url: ctx.redisUrl, maxRetriesPerRequest: null } as never, prefix: ctx.prefix },
  );
  ctx.defer(() => w.close());
  return w;
}

async function addFlow(runId: string, failed = false) {
  const event = completedEvent(runId, [
    step('a', 'succeeded'),
    step('b', failed ? 'failed' : 'succeeded'),
  ]);
  const events = new QueueEvents(QUEUES.report, {
    connection: { url: ctx.redisUrl } as never,
    prefix: ctx.prefix,
  });
  ctx.defer(() => events.close());
  await events.waitUntilReady();
  const node = await queues.flowProducer().add({
    name: 'run_completed',
    queueName: QUEUES.report,
    data: event,
    opts: { ...queues.jobOptions('report'), jobId: event.id },
    children: [
      {
        name: 'run_completed',
        queueName: QUEUES.archive,
        data: event,
        opts: { ...queues.jobOptions('archive'), jobId: event.id, ignoreDependencyOnFailure: true },
      },
    ],
  });
  return { event, done: node.job.waitUntilFinished(events, 20_000) };
}

describe('report worker', () => {
  it('writes the summary with the archive outcome once the archive job is done, and records it in the ledger', async () => {
    archiveStandIn('ok');
    const { done } = await addFlow('run-1', true);
    const result = await done;
    const report = JSON.parse(readFileSync(result.path, 'utf8'));
    expect(report).toMatchObject({
      runId: 'run-1',
      outcome: 'failed',
      archive: { status: 'archived', bytes: 42, verified: true },
    });
    // The HTML page beside it (report.html, on by default).
    expect(readFileSync(result.path.replace(/\.json$/, '.html'), 'utf8')).toContain(
      'Step timeline',
    );
    const ledger = await queues.get(QUEUES.ledger).getJob('report.run-1.completed');
    expect(ledger?.data).toMatchObject({ kind: 'report', runId: 'run-1', outcome: 'failed' });
  });

  it('still writes the report when the archive failed for good, with the reason', async () => {
    archiveStandIn('fail');
    const { done } = await addFlow('run-2');
    const result = await done;
    const report = JSON.parse(readFileSync(result.path, 'utf8'));
    expect(report.archive).toEqual({
      status: 'failed',
      reason: 'not enough disk space for run run-2',
    });
  });

  it('fails an unsafe run id at once and copies it to the dead-letter queue', async () => {
    const event = completedEvent('../../etc', []);
    await queues
      .get(QUEUES.report)
      .add('run_completed', event, { jobId: 'unsafe.completed', attempts: 5 });
    const letter = await waitFor(
      () => queues.get(QUEUES.deadLetter).getJob('report.unsafe.completed'),
      'the dead letter',
    );
    expect(letter.data).toMatchObject({ queue: 'report', attemptsMade: 1, unrecoverable: true });
    expect(letter.data.failedReason).toMatch(/unsafe run id "..\/..\/etc"/);
    expect(existsSync(path.join(ctx.dir, 'etc_summary.json'))).toBe(false);
  });
});
