/**
 * Queue names and the job options each queue gets by default.
 *
 *   scanner ──▶ archive ─┐ (child)        alert ──▶ delivery (one job per channel)
 *           ──▶ report ◀─┘ (parent: waits for the archive, even when it failed)
 *   workers ──▶ ledger ──▶ scanner (writes runwarden_* tables)
 *   any job that failed for good ──▶ dead-letter
 */
import type { JobsOptions } from 'bullmq';
import type { RunwardenConfig } from './config/schema.js';

export const QUEUES = {
  archive: 'archive',
  report: 'report',
  alert: 'alert',
  delivery: 'delivery',
  ledger: 'ledger',
  deadLetter: 'dead-letter',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
export const ALL_QUEUES: readonly QueueName[] = Object.values(QUEUES);

/** Keep enough finished jobs to inspect in Bull Board, not so many that Redis grows without bound. */
const retention = {
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 50_000 },
} satisfies JobsOptions;

/** BullMQ job options for a queue, from the `queues` section of the config. */
export function jobOptionsFor(queue: QueueName, config: RunwardenConfig): JobsOptions {
  switch (queue) {
    case 'archive':
    case 'report':
    case 'alert':
      return {
        ...retention,
        attempts: config.queues[queue].attempts,
        backoff: config.queues[queue].backoff,
      };
    case 'delivery':
      return {
        ...retention,
        attempts: config.queues.alert.attempts,
        backoff: config.queues.alert.backoff,
      };
    case 'ledger':
      // The scanner may be down for a while; ledger entries must wait, not fail.
      return { ...retention, attempts: 50, backoff: { type: 'exponential', delay: 1_000 } };
    case 'dead-letter':
      return { removeOnComplete: false, removeOnFail: false, attempts: 1 };
  }
}
