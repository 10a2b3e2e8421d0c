/**
 * The outbox to the queues, in batches of 100:
 *
 *   pending events ─▶ fence (is the lease still ours?) ─▶ enqueueEvents: the batch's
 *   alert jobs first, then its flows (a duplicate job id is ignored by BullMQ) ─▶ a replica has them (replica-gate.ts) ─▶ marked enqueued
 *
 * A batch that no replica acknowledged stays pending and is added again at the next check.
 */
import {
  enqueueEvents,
  type EventType,
  type Logger,
  type QueueSet,
  type RunwardenEvent,
} from '@runwarden/core';
import type { ScannerStore } from '@runwarden/store';
import type { ReplicaGate } from './replica-gate.js';
import type { ScannerLease } from './scanner-lease.js';

const BATCH = 100;

export interface OutboxDrainerOptions {
  queues: QueueSet;
  log: Logger;
  replicas: ReplicaGate;
  /** Event types worth an alert job (see `alertableTypes`). */
  alertTypes?: ReadonlySet<EventType>;
  isClosing(): boolean;
}

export interface DrainResult {
  enqueued: number;
  /** Commit → enqueued, the longest of this drain's fresh events. */
  lagMs?: number;
  /** A batch waits for a replica: drain again at the next check. */
  waiting: boolean;
}

export type OutboxDrainer = (
  store: ScannerStore,
  lease: ScannerLease,
  /** Ids of the events this scan detected; the others are replays after an interruption. */
  fresh: ReadonlySet<string>,
) => Promise<DrainResult>;

export function createOutboxDrainer(o: OutboxDrainerOptions): OutboxDrainer {
  const logReplay = (e: RunwardenEvent) =>
    o.log.info(
      { eventId: e.id, runId: e.runId },
      `Re-enqueued ${e.type} ${e.id} for run ${e.runId}, recorded before an interruption`,
    );
  return async (store, lease, fresh) => {
    const result: DrainResult = { enqueued: 0, waiting: false };
    while (!o.isClosing()) {
      const batch = store.pending(BATCH);
      if (batch.length === 0 || !(await lease.fence())) break;
      await enqueueEvents(o.queues, batch, o.alertTypes);
      if (!(await o.replicas.replicated(batch.length))) {
        result.waiting = true;
        break;
      }
      const at = Date.now();
      store.markEnqueued(
        batch.map((e) => e.id),
        new Date(at).toISOString(),
      );
      result.enqueued += batch.length;
      for (const e of batch) {
        if (!fresh.has(e.id)) logReplay(e);
        else if (e.changedAt)
          result.lagMs = Math.max(result.lagMs ?? 0, at - Date.parse(e.changedAt));
      }
      if (batch.length < BATCH) break;
    }
    return result;
  };
}
