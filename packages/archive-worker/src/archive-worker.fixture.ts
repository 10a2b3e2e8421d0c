/**
 * Test fixture: a config and queues under one test's prefix and folder, and
 * run_completed events to archive. Not part of the app's API.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  createLogger,
  createRedisConnection,
  emptyStepCounts,
  eventIds,
  QueueSet,
  runwardenConfigSchema,
  type Logger,
  type RunCompletedEvent,
  type RunwardenConfig,
} from '@runwarden/core';
import type { TestContext } from '@runwarden/testing';

export interface ArchiveFixture {
  config: RunwardenConfig;
  queues: QueueSet;
  logger: Logger;
  logs: Record<string, unknown>[];
  worktrees: string;
  archives: string;
}

export function createArchiveFixture(
  ctx: TestContext,
  overrides: { attempts?: number; diskSpaceFactor?: number } = {},
): ArchiveFixture {
  const worktrees = path.join(ctx.dir, 'worktrees');
  const archives = path.join(ctx.dir, 'archive');
  mkdirSync(worktrees, { recursive: true });
  const config = runwardenConfigSchema.parse({
    redis: { url: ctx.redisUrl, prefix: ctx.prefix },
    paths: { worktrees, archive: archives },
    archive: { diskSpaceFactor: overrides.diskSpaceFactor ?? 1.5, concurrency: 2 },
    queues: {
      archive: { attempts: overrides.attempts ?? 3, backoff: { type: 'fixed', delay: 10 } },
    },
  });
  const connection = createRedisConnection(ctx.redisUrl);
  const queues = new QueueSet({ connection, prefix: ctx.prefix, config });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination: sink });
  ctx.defer(() => connection.quit());
  ctx.defer(() => queues.close());
  return { config, queues, logger, logs, worktrees, archives };
}

export function completedRun(runId: string): RunCompletedEvent {
  return {
    id: eventIds.completed(runId),
    type: 'run_completed',
    runId,
    pipeline: 'etl',
    detectedAt: new Date().toISOString(),
    outcome: 'succeeded',
    stepCounts: { ...emptyStepCounts(), succeeded: 1, total: 1 },
    run: {
      runId,
      pipeline: 'etl',
      state: 'succeeded',
      createdAt: '',
      startedAt: null,
      finishedAt: null,
      updatedAt: '',
      steps: [],
    },
  };
}

/** Adds the archive job the way the scanner does: name run_completed, jobId = event id. */
export async function addArchiveJob(queues: QueueSet, event: RunCompletedEvent): Promise<void> {
  await queues
    .get('archive')
    .add('run_completed', event, queues.jobOptions('archive', { jobId: event.id }));
}
