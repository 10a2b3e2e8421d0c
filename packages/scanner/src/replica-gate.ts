/**
 * The outbox marks an event enqueued only once Redis can keep it through a
 * failover. Redis replicates asynchronously: a job a master acknowledged and
 * then lost to kill -9 never reaches the replica Sentinel or Cluster promotes,
 * and the epoch token (redis-reconcile.ts) survives, so nothing would notice.
 *
 *   enqueue batch ─▶ WAIT 1 (≤ 1 s) on the connection that wrote it
 *        ├─ no replica, or a replica has it ─▶ mark enqueued
 *        └─ replicas, none has it ─▶ leave the batch in the outbox (re-added, ignored
 *           as a duplicate while Redis has it) ─▶ one warning, status `replicaWaitSince`,
 *           one line when a replica catches up
 */
import { replicaSafe, type Logger, type QueueSet } from '@runwarden/core';

export interface ReplicaGate {
  /** True when the batch just added may be marked enqueued. */
  replicated(events: number): Promise<boolean>;
  /** Since when (ISO) batches wait for a replica; undefined when none waits. */
  waitingSince(): string | undefined;
}

export function createReplicaGate(queues: QueueSet, log: Logger): ReplicaGate {
  let since: number | undefined;
  let held = 0;
  return {
    async replicated(events) {
      const ack = await queues.waitForReplicas();
      if (replicaSafe(ack)) {
        if (since !== undefined)
          log.info(
            { waitedMs: Date.now() - since, retried: held },
            `A Redis replica has the scanner's jobs again after ${Math.round((Date.now() - since) / 1000)} s; events held in the outbox meanwhile are marked enqueued`,
          );
        since = undefined;
        held = 0;
        return true;
      }
      held += events;
      if (since === undefined) {
        since = Date.now();
        log.warn(
          { replicas: ack.replicas, events },
          `None of the ${ack.replicas} Redis replica(s) acknowledged the scanner's last ${events} job(s) within 1 s: a failover now would lose them, so they stay in the outbox and are added again until a replica has them. Check the replica's link (INFO replication: master_link_status, lag)`,
        );
      }
      return false;
    },
    waitingSince: () => (since === undefined ? undefined : new Date(since).toISOString()),
  };
}
