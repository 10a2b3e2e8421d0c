/**
 * One scan by the lease holder:
 *
 *   the pipeline's tables ─▶ runwarden_events (scan-cycle.ts, synchronous SQLite)
 *   ─▶ the queues (outbox-drainer.ts) ─▶ Redis lost its data? (at most once a second)
 *   ─▶ the status hash (one HSET)
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { EventType, Logger, QueueSet, RunwardenEvent } from '@runwarden/core';
import type { SkippedRow } from '@runwarden/store';
import { eventLogLine } from './event-log-line.js';
import { createOutboxDrainer } from './outbox-drainer.js';
import { reconcileRedis } from './redis-reconcile.js';
import { createReplicaGate } from './replica-gate.js';
import type { ScannerDatabase } from './scanner-database.js';
import type { ScannerLease } from './scanner-lease.js';
import { writeScannerStatus } from './scanner-status.js';
import { createSkippedRowLog } from './skipped-rows.js';

export interface ScanResult {
  /** False when this scanner does not hold the lease (nothing was scanned). */
  leader: boolean;
  /** Events detected in this scan (new to the outbox). */
  events: RunwardenEvent[];
  /** Events put in the queues in this scan (including replays of unmarked ones). */
  enqueued: number;
  activeRuns: number;
  /** Pipeline rows (or values) the scan could not use, each named. */
  skipped: SkippedRow[];
  badRows: number;
  durationMs: number;
}

export const NOT_LEADER: ScanResult = {
  leader: false,
  events: [],
  enqueued: 0,
  activeRuns: 0,
  skipped: [],
  badRows: 0,
  durationMs: 0,
};

export interface ScanStepOptions {
  instanceId: string;
  log: Logger;
  queues: QueueSet;
  alertTypes?: ReadonlySet<EventType>;
  clock: () => number;
  isClosing(): boolean;
  /** A batch waits for a replica: scan (and drain) again at the next check. */
  onReplicaWait(): void;
}

export type ScanStep = (target: {
  sql: ScannerDatabase;
  redis: Redis;
  lease: ScannerLease;
}) => Promise<ScanResult>;

export function createScanStep(o: ScanStepOptions): ScanStep {
  const { log } = o;
  const skippedRows = createSkippedRowLog(log);
  const replicas = createReplicaGate(o.queues, log);
  const drain = createOutboxDrainer({ ...o, replicas });
  let nextEpochCheckAt = 0;
  let lastActive = -1;

  return async ({ sql, redis, lease }) => {
    const started = performance.now();
    const outcome = sql.cycle.scan();
    if (outcome.baselined > 0)
      log.info(
        `Found ${outcome.baselined} run(s) that finished before runwarden first watched this database: left as history, not archived, reported or alerted. To archive and report them: runwarden backfill --since 7d [--no-alerts]`,
      );
    skippedRows.report(outcome.skipped, o.clock());
    for (const e of outcome.fresh)
      log.info({ eventId: e.id, type: e.type, runId: e.runId }, eventLogLine(e));
    const drained = await drain(sql.store, lease, new Set(outcome.fresh.map((e) => e.id)));
    if (drained.waiting) o.onReplicaWait();
    // At most once a second: a lost Redis is noticed within a second, and a burst of scans pays no extra round trip.
    let reconciled = 0;
    if (Date.now() >= nextEpochCheckAt) {
      const r = await reconcileRedis(sql.store, {
        redis,
        queues: o.queues,
        logger: log,
        alertTypes: o.alertTypes,
        fence: () => lease.fence(),
      });
      reconciled = r ? r.flows + r.alerts : 0;
      nextEpochCheckAt = Date.now() + 1_000;
    }
    const durationMs = performance.now() - started;
    if (outcome.activeRuns !== lastActive) {
      lastActive = outcome.activeRuns;
      log.info({ activeRuns: lastActive }, `Monitoring ${lastActive} active runs`);
    }
    await writeScannerStatus(redis, o.queues.prefix, {
      holder: o.instanceId,
      scannedAt: Date.now(),
      scanMs: durationMs,
      activeRuns: outcome.activeRuns,
      enqueued: drained.enqueued,
      detectionLagMs: drained.lagMs,
      skippedRows: outcome.skipped.length,
      skippedRowsText: skippedRows.summary(outcome.skipped),
      replicaWaitSince: replicas.waitingSince(),
    });
    return {
      leader: true,
      events: outcome.fresh,
      enqueued: drained.enqueued + reconciled,
      activeRuns: outcome.activeRuns,
      skipped: outcome.skipped,
      badRows: outcome.badRows,
      durationMs,
    };
  };
}
