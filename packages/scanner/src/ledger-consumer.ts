/**
 * Workers report what they did on the `ledger` queue; the scanner, the only
 * process with SQLite open, records it.
 *
 *   ledger jobs (up to `concurrency` at once) ──▶ batch (those that arrive within `flushMs`)
 *     ──▶ one SQLite transaction ──committed──▶ every job of the batch completes
 *                                └─failed──▶ each entry alone (one bad entry fails only its job);
 *                                            locked: every job of the batch fails, to be retried
 *
 * A job completes only after its row is committed; rows are upserts keyed by
 * deterministic ids, so a job retried after a crash writes nothing twice. A
 * locked database makes the jobs fail and BullMQ retry them (the ledger queue
 * allows many attempts).
 */
import {
  QUEUES,
  createQueueWorker,
  type LedgerEntry,
  type Logger,
  type QueueSet,
  type QueueWorker,
} from '@runwarden/core';
import type { LedgerRecorder } from '@runwarden/store';

export interface LedgerConsumerOptions {
  redisUrl: string;
  queues: QueueSet;
  logger: Logger;
  recorder: LedgerRecorder;
  /**
   * Ledger jobs taken at once; also the largest batch.
   * @defaultValue 64
   */
  concurrency?: number;
  /**
   * How long the first entry of a batch waits for others before the batch is written.
   * @defaultValue 5
   */
  flushMs?: number;
}

const isBusy = (err: unknown) =>
  /^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: string }).code ?? ''));

interface Pending {
  entry: LedgerEntry;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Groups entries into one transaction; each caller's promise settles once its entry is committed (or not). */
export function createLedgerBatcher(
  recorder: LedgerRecorder,
  maxBatch: number,
  flushMs: number,
): (entry: LedgerEntry) => Promise<void> {
  let pending: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    try {
      recorder.recordMany(batch.map((p) => p.entry));
      for (const p of batch) p.resolve();
    } catch (err) {
      // A locked database fails every entry alike: retrying each alone would block the
      // event loop for busy_timeout per entry. The jobs fail and BullMQ retries them.
      if (isBusy(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // Rolled back as a whole: write each alone, so only an entry that fails by itself fails its job.
      for (const p of batch) {
        try {
          recorder.record(p.entry);
          p.resolve();
        } catch (err) {
          p.reject(err);
        }
      }
    }
  };
  return (entry) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ entry, resolve, reject });
      if (pending.length >= maxBatch) flush();
      else timer ??= setTimeout(flush, flushMs);
    });
}

export function createLedgerConsumer(options: LedgerConsumerOptions): QueueWorker {
  const concurrency = options.concurrency ?? 64;
  const record = createLedgerBatcher(options.recorder, concurrency, options.flushMs ?? 5);
  return createQueueWorker<LedgerEntry, void>({
    queue: QUEUES.ledger,
    redisUrl: options.redisUrl,
    queues: options.queues,
    logger: options.logger,
    concurrency,
    processor: (job) => record(job.data),
  });
}
