/**
 * The archive worker.
 *
 *   archive job (run_completed, flow child of the report job)
 *     ──▶ archiveRun ──▶ .archive/<run_id>.zip (verified) ──▶ ledger ──▶ result (read by the report job)
 *     ──error, attempts left──▶ retried with backoff
 *     ──failed for good──▶ dead-letter (harness) ──▶ ledger (failed) ──▶ archival_failed on `alert`
 *
 * An unsafe run id fails at once (UnrecoverableError): no retry can fix it.
 */
import path from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import { archiveRun, ThreadPool, type ZipProgress } from '@runwarden/archive';
import {
  assertSafeRunId,
  closeAll,
  createQueueWorker,
  enqueueEvent,
  eventIds,
  onceClose,
  QUEUES,
  type ArchivalFailedEvent,
  type ArchiveJobProgress,
  type ArchiveOutcome,
  type EventType,
  type Logger,
  type QueueSet,
  type QueueWorker,
  type RunCompletedEvent,
  type RunwardenConfig,
} from '@runwarden/core';

export interface ArchiveWorkerDeps {
  config: RunwardenConfig;
  logger: Logger;
  queues: QueueSet;
  redisUrl: string;
  /**
   * How long a job's lock lasts without renewal (BullMQ `lockDuration`).
   * @defaultValue `queues.archive.lockDuration` from the config
   */
  lockDuration?: number;
  /** Zip threads shared by all jobs of this worker. @defaultValue `archive.threads` from the config */
  threads?: number;
  /**
   * Least time between two `job.updateProgress` calls.
   * @defaultValue 500
   */
  progressIntervalMs?: number;
  /**
   * Event types some alert rule can match (`alertableTypes`): archival_failed is
   * routed like every other event, so it gets an alert job only when a rule can match it.
   * @defaultValue every type
   */
  alertTypes?: ReadonlySet<EventType>;
}

interface ProgressReporter {
  update(p: ZipProgress): void;
  /** Waits for the call in flight, then sends the latest figures if they were not sent. */
  flush(): Promise<void>;
}

/** Sends progress to Redis at most every `intervalMs`, one call at a time, never blocking the zip. */
function progressReporter(job: Job, intervalMs: number, log: Logger): ProgressReporter {
  let last = 0;
  let inFlight: Promise<void> | undefined;
  let latest: ArchiveJobProgress | undefined;
  let sent: ArchiveJobProgress | undefined;
  const send = (progress: ArchiveJobProgress): Promise<void> => {
    last = Date.now();
    sent = progress;
    return job.updateProgress({ ...progress }).then(
      () => undefined,
      (err: Error) =>
        log.debug(
          { err: err.message },
          'Could not update archive progress; it is shown late, the archive goes on',
        ),
    );
  };
  return {
    update(p) {
      latest = {
        bytesDone: p.bytesDone,
        bytesTotal: p.bytesTotal,
        entriesDone: p.entriesDone,
        entriesTotal: p.entriesTotal,
      };
      if (inFlight || Date.now() - last < intervalMs) return;
      inFlight = send(latest).finally(() => (inFlight = undefined));
    },
    async flush() {
      await inFlight;
      if (latest && latest !== sent) await send(latest);
    },
  };
}

export function createArchiveWorker(deps: ArchiveWorkerDeps): QueueWorker {
  const { config, queues } = deps;
  const logger = deps.logger.child({ role: 'archive-worker' });
  const pool = new ThreadPool({ threads: deps.threads ?? config.archive.threads });
  const worktreesDir = path.resolve(config.paths.worktrees);
  const archiveDir = path.resolve(config.paths.archive);

  const processor = async (
    job: Job<RunCompletedEvent, ArchiveOutcome>,
  ): Promise<ArchiveOutcome> => {
    const event = job.data;
    try {
      assertSafeRunId(event.runId);
    } catch (err) {
      throw new UnrecoverableError((err as Error).message);
    }
    const log = logger.child({ runId: event.runId, jobId: job.id });
    const progress = progressReporter(job, deps.progressIntervalMs ?? 500, log);
    const outcome = await archiveRun({
      runId: event.runId,
      worktreesDir,
      archiveDir,
      compressionLevel: config.archive.compressionLevel,
      diskSpaceFactor: config.archive.diskSpaceFactor,
      removeWorktree: config.archive.removeWorktree,
      onChangedFile: config.archive.onChangedFile,
      onProgress: (_done, _total, detail) => progress.update(detail),
      logger: log,
      pool,
    });
    await progress.flush();
    await queues.recordLedger({
      kind: 'archive',
      eventId: event.id,
      runId: event.runId,
      outcome,
      at: new Date().toISOString(),
    });
    return outcome;
  };

  const onDeadLetter = async (
    job: Job<RunCompletedEvent, ArchiveOutcome>,
    error: Error,
  ): Promise<void> => {
    const runId = String(job.data?.runId ?? '');
    const now = new Date().toISOString();
    const outcome: ArchiveOutcome = { status: 'failed', reason: error.message };
    await queues.recordLedger({
      kind: 'archive',
      eventId: String(job.data?.id ?? job.id),
      runId,
      outcome,
      at: now,
    });
    const alert: ArchivalFailedEvent = {
      id: eventIds.archivalFailed(runId),
      type: 'archival_failed',
      runId,
      pipeline: job.data?.pipeline ?? null,
      detectedAt: now,
      reason: error.message,
      attempts: job.attemptsMade + 1,
      jobId: String(job.id),
    };
    await enqueueEvent(queues, alert, deps.alertTypes);
    logger.error(
      { runId, jobId: job.id, reason: error.message },
      `Run ${runId} could not be archived (${error.message}); raised archival_failed. Fix the cause, then retry it with \`runwarden dlq retry\``,
    );
  };

  const queueWorker = createQueueWorker<RunCompletedEvent, ArchiveOutcome>({
    queue: QUEUES.archive,
    redisUrl: deps.redisUrl,
    queues,
    logger,
    processor,
    onDeadLetter,
    concurrency: config.archive.concurrency,
    lockDuration: deps.lockDuration ?? config.queues.archive.lockDuration,
  });
  const close = onceClose(() =>
    closeAll([() => queueWorker.close(), () => pool.close()], 'archive worker close'),
  );
  return { worker: queueWorker.worker, stats: queueWorker.stats, close };
}
