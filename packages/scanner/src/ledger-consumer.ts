/**
 * Workers report what they did on the `ledger` queue; the scanner, the only
 * process with SQLite open, records it. A locked database makes the job fail
 * and BullMQ retry it (the ledger queue allows many attempts).
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
}

export function createLedgerConsumer(options: LedgerConsumerOptions): QueueWorker {
  return createQueueWorker<LedgerEntry, void>({
    queue: QUEUES.ledger,
    redisUrl: options.redisUrl,
    queues: options.queues,
    logger: options.logger,
    concurrency: 1,
    processor: async (job) => {
      options.recorder.record(job.data);
    },
  });
}
