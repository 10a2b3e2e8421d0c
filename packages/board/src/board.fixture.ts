/**
 * Shared by the board's tests (excluded from the build): a board on a free
 * port against the test's own prefix, and queues seeded with a few jobs,
 * one of them a dead letter and one carrying secrets.
 */
import {
  createLogger,
  createRedisConnection,
  QueueSet,
  QUEUES,
  runwardenConfigSchema,
  type RunwardenConfig,
} from '@runwarden/core';
import { Worker } from 'bullmq';
import type { TestContext } from '@runwarden/testing';
import { createBoard, type Board } from './create-board.js';

export const BOARD_USER = 'ops';
export const BOARD_PASSWORD = 'correct horse battery staple';
const SLACK_SECRET = 'https://hooks.slack.example/services/T000/B000/s3cr3tXYZ';

export interface StartedBoard {
  board: Board;
  url: string;
  config: RunwardenConfig;
}

/**
 * Starts a board with credentials unless `board.user` is overridden, and any
 * other config (`database`, `paths`) from `config`; closed by the context's cleanup.
 */
export async function startBoard(
  ctx: TestContext,
  board: Record<string, unknown> = {},
  redisUrl = ctx.redisUrl,
  config: Record<string, unknown> = {},
): Promise<StartedBoard> {
  const parsed = runwardenConfigSchema.parse({
    ...config,
    redis: { url: redisUrl, prefix: ctx.prefix },
    board: { user: BOARD_USER, password: BOARD_PASSWORD, ...board },
  });
  const started = createBoard({
    config: parsed,
    logger: createLogger({ level: 'silent' }),
    redisUrl,
    prefix: ctx.prefix,
  });
  ctx.defer(() => started.close());
  const { url } = await started.listen(0, '127.0.0.1');
  return { board: started, url, config: parsed };
}

export function authHeader(user = BOARD_USER, password = BOARD_PASSWORD): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

/**
 * Two waiting archive jobs, one completed report job (processed by a real
 * worker, so it has processedOn/finishedOn), an alert job whose data holds a
 * webhook URL, and a dead letter.
 */
export async function seedJobs(ctx: TestContext, config: RunwardenConfig): Promise<void> {
  const connection = createRedisConnection(ctx.redisUrl);
  const queues = new QueueSet({ connection, prefix: ctx.prefix, config });
  try {
    await queues
      .get(QUEUES.archive)
      .add('run_completed', { runId: 'run-1' }, { jobId: 'run-1.completed' });
    await queues
      .get(QUEUES.archive)
      .add('run_completed', { runId: 'run-2' }, { jobId: 'run-2.completed' });
    await queues
      .get(QUEUES.alert)
      .add(
        'run_completed',
        { runId: 'run-1', channel: { webhookUrl: SLACK_SECRET, smtp: { pass: 'hunter2' } } },
        { jobId: 'run-1.alert' },
      );
    await queues.addDeadLetter({
      queue: QUEUES.archive,
      jobId: 'run-9.completed',
      name: 'run_completed',
      data: { runId: 'run-9' },
      failedReason: 'not enough disk space for run run-9',
      attemptsMade: 5,
      unrecoverable: false,
      failedAt: new Date().toISOString(),
    });
    await completeOneReport(ctx, queues);
  } finally {
    await queues.close();
    await connection.quit();
  }
}

async function completeOneReport(ctx: TestContext, queues: QueueSet): Promise<void> {
  const worker = new Worker(QUEUES.report, async () => ({ written: true }), {
    connection: { url: ctx.redisUrl, maxRetriesPerRequest: null } as never,
    prefix: ctx.prefix,
  });
  const completed = new Promise((resolve) => worker.once('completed', resolve));
  try {
    await queues
      .get(QUEUES.report)
      .add('run_completed', { runId: 'run-1' }, { jobId: 'run-1.report' });
    await completed;
  } finally {
    await worker.close();
  }
}
