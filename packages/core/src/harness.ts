/**
 * The worker harness every queue worker runs in.
 *
 *   job ──▶ processor ──ok──▶ completed (logged with run id and duration)
 *                     ──error, attempts left──▶ BullMQ retries with backoff
 *                     ──error, final or UnrecoverableError──▶ dead-letter copy
 *                                                           ──▶ onDeadLetter hook ──▶ failed
 *
 * The dead-letter copy is written inside the processor, before BullMQ marks
 * the job failed, so a crash in between cannot lose it (its job id is
 * deterministic, so writing it twice is harmless).
 */
import {
  DelayedError,
  RateLimitError,
  UnrecoverableError,
  WaitingChildrenError,
  Worker,
  type Job,
  type Processor,
} from 'bullmq';
import type { Logger } from 'pino';
import { closeAll, onceClose } from './closeable.js';
import { RunwardenError, toError } from './errors.js';
import type { QueueName } from './queues.js';
import type { QueueSet } from './queue-set.js';
import { closeRedisConnection, createRedisConnection } from './redis.js';
import { isRedisConnectionError, redisHealth } from './redis-health.js';

export interface QueueWorkerOptions<D, R> {
  queue: QueueName;
  redisUrl: string;
  queues: QueueSet;
  logger: Logger;
  processor: (job: Job<D, R>) => Promise<R>;
  /** @defaultValue 1 */
  concurrency?: number;
  /** Called once a job has failed for good, after its dead-letter copy is written. */
  onDeadLetter?: (job: Job<D, R>, error: Error) => Promise<void>;
  /** BullMQ limiter (jobs per duration) shared by every worker of the queue. */
  limiter?: { max: number; duration: number };
  /**
   * How long a job may hold its lock without renewal before BullMQ considers
   * it stalled; stalled jobs are looked for as often.
   * @defaultValue 30000
   */
  lockDuration?: number;
}

export interface WorkerStats {
  completed: number;
  failed: number;
  deadLettered: number;
  active: number;
}

export interface QueueWorker {
  readonly worker: Worker<unknown, unknown>;
  readonly stats: WorkerStats;
  close(): Promise<void>;
}

/** Every job this process is working on, across its workers: what a forced exit abandons. */
const jobsInHand = new Map<string, string>();

/** The jobs in hand, as `<queue> job <id> (run <runId>)`. */
export function describeJobsInHand(): string[] {
  return [...jobsInHand.values()];
}

/** Errors that are BullMQ control flow, not failures. */
function isControlFlow(err: unknown): boolean {
  return (
    err instanceof DelayedError ||
    err instanceof RateLimitError ||
    err instanceof WaitingChildrenError
  );
}

export function isFinalAttempt(job: Job, err: unknown): boolean {
  if (err instanceof UnrecoverableError) return true;
  if (err instanceof RunwardenError && err.code === 'UNSAFE_RUN_ID') return true;
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

export function createQueueWorker<D, R>(options: QueueWorkerOptions<D, R>): QueueWorker {
  const { queue, logger, queues } = options;
  const log = logger.child({ queue });
  const stats: WorkerStats = { completed: 0, failed: 0, deadLettered: 0, active: 0 };
  // Its connection problems are reported by redisHealth, once per outage.
  const connection = createRedisConnection(options.redisUrl, { name: `runwarden:${queue}-worker` });

  const processor: Processor<D, R> = async (job) => {
    const runId = (job.data as { runId?: string } | undefined)?.runId;
    const started = Date.now();
    const handKey = `${queue}/${job.id}`;
    jobsInHand.set(handKey, `${queue} job ${job.id}${runId ? ` (run ${runId})` : ''}`);
    stats.active += 1;
    try {
      const result = await options.processor(job);
      stats.completed += 1;
      log.info(
        { jobId: job.id, runId, ms: Date.now() - started },
        `${queue} job ${job.id} done${runId ? ` for run ${runId}` : ''}`,
      );
      return result;
    } catch (thrown) {
      if (isControlFlow(thrown)) throw thrown;
      const err = toError(thrown);
      stats.failed += 1;
      const final = isFinalAttempt(job, thrown);
      const attempt = job.attemptsMade + 1;
      log.warn(
        { jobId: job.id, runId, attempt, attempts: job.opts.attempts, final, err: err.message },
        final
          ? `${queue} job ${job.id} failed for good after ${attempt} attempt(s): ${err.message}`
          : `${queue} job ${job.id} failed (attempt ${attempt} of ${job.opts.attempts ?? 1}); it will be retried: ${err.message}`,
      );
      if (final) {
        await queues.addDeadLetter({
          queue,
          jobId: String(job.id),
          name: job.name,
          data: job.data,
          failedReason: err.message,
          attemptsMade: attempt,
          unrecoverable:
            thrown instanceof UnrecoverableError ||
            (thrown instanceof RunwardenError && thrown.code === 'UNSAFE_RUN_ID'),
          failedAt: new Date().toISOString(),
          stacktrace: err.stack ? [err.stack] : [],
        });
        stats.deadLettered += 1;
        if (options.onDeadLetter) await options.onDeadLetter(job, err);
        if (!(thrown instanceof UnrecoverableError)) throw new UnrecoverableError(err.message);
      }
      throw thrown;
    } finally {
      stats.active -= 1;
      jobsInHand.delete(handKey);
    }
  };

  const worker = new Worker<D, R>(queue, processor, {
    connection,
    prefix: queues.prefix,
    concurrency: options.concurrency ?? 1,
    limiter: options.limiter,
    lockDuration: options.lockDuration ?? 30_000,
    stalledInterval: options.lockDuration ?? 30_000,
    autorun: true,
  });
  // BullMQ's own (blocking) connection reports here too: outages go to redisHealth, bounded.
  worker.on('error', (err) => {
    if (isRedisConnectionError(err)) redisHealth.report(err);
    else log.error({ err: err.message }, `${queue} worker error: ${err.message}`);
  });

  const close = onceClose(() =>
    closeAll(
      [() => worker.close(), () => closeRedisConnection(connection)],
      `${queue} worker close`,
    ),
  );
  return { worker: worker as Worker<unknown, unknown>, stats, close };
}
