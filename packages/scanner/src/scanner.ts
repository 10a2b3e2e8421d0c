/**
 * The scanner: runwarden's eyes on the pipeline's database.
 *
 *   every changeCheckInterval (100 ms): lease held? ─▶ PRAGMA data_version changed,
 *        or pollInterval passed (stalls)? ─▶ scan (SQLite, synchronous) ─▶ outbox
 *        ─▶ fence (lease still ours?) ─▶ BullMQ (flow report◀archive, alert)
 *        ─▶ a replica has them (replica-gate.ts) ─▶ mark enqueued
 *        ─▶ status hash (one HSET per scan)
 *   meanwhile: ledger queue ─▶ runwarden_archives / _reports / _alerts
 *   every check: the file replaced (device + inode)? ─▶ reopen; no scan for blindAfter ─▶ monitor_blind
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import {
  closeAll,
  onceClose,
  type EventType,
  type Logger,
  type QueueSet,
  type RunwardenConfig,
} from '@runwarden/core';
import { createScanLoop } from './scan-loop.js';
import { createScanStep, NOT_LEADER, type ScanResult } from './scan-step.js';
import { createDatabaseHandle, type DatabaseHandle } from './scanner-database.js';
import { createScannerParts, type ScannerParts } from './scanner-parts.js';

export interface ScannerDeps {
  config: RunwardenConfig;
  logger: Logger;
  /** Queues to enqueue to; owned by the caller (the scanner does not close it). */
  queues: QueueSet;
  redisUrl: string;
  /** Time for stall detection and event times. @defaultValue Date.now */
  clock?: () => number;
  /** Names this scanner in the lease and the status hash. @defaultValue `<host>-<pid>-<random>` */
  instanceId?: string;
  /** Consume the ledger queue. @defaultValue true */
  consumeLedger?: boolean;
  /** How long one SQLite statement waits for a lock (blocks the event loop). @defaultValue 250 */
  busyTimeoutMs?: number;
  /**
   * Event types worth an alert job (see `alertableTypes`); others are only
   * recorded. @defaultValue every type
   */
  alertTypes?: ReadonlySet<EventType>;
}

export interface Scanner {
  readonly instanceId: string;
  start(): Promise<void>;
  close(): Promise<void>;
  scanNow(): Promise<ScanResult>;
  isLeader(): boolean;
}

/** A started scanner: its parts and its database. */
type Running = ScannerParts & { database: DatabaseHandle };

export function createScanner(deps: ScannerDeps): Scanner {
  const instanceId =
    deps.instanceId ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
  const log = deps.logger.child({ component: 'scanner', instanceId });
  const { config } = deps;
  const clock = deps.clock ?? Date.now;
  let running: Running | undefined;
  let closing = false;
  const isClosing = () => closing;

  const step = createScanStep({
    ...deps,
    instanceId,
    log,
    clock,
    isClosing,
    onReplicaWait: () => loop.forceScan(),
  });
  const isLeader = () => running?.lease.isHeld() ?? false;
  const loop = createScanLoop<ScanResult>({
    log,
    database: config.database,
    changeCheckIntervalMs: config.scanner.changeCheckInterval,
    pollIntervalMs: config.scanner.pollInterval,
    isLeader,
    dataVersion: () => running!.database.current().reader.dataVersion(),
    scan: () => {
      const r = running;
      if (!r || closing || !r.lease.isHeld()) return Promise.resolve(NOT_LEADER);
      return step({ sql: r.database.current(), redis: r.redis, lease: r.lease });
    },
    succeeded: () => running?.blind.succeeded() ?? Promise.resolve(),
    failed: (reason) => running?.blind.failed(reason) ?? Promise.resolve(),
  });

  async function start(): Promise<void> {
    if (running || closing) return;
    const database = createDatabaseHandle({
      file: config.database,
      logger: log,
      busyTimeoutMs: deps.busyTimeoutMs ?? 250,
      createIndexes: config.scanner.createIndexes,
      stallThresholdMs: config.scanner.stallThreshold,
      clock,
      onReopen: () => loop.forceScan(),
    });
    // A ledger job that finds the database closed fails and is retried.
    const openRecorder = () => {
      const sql = database.ifOpen();
      if (!sql) throw new Error(`The orchestration database ${config.database} is not open`);
      return sql.recorder;
    };
    const parts = createScannerParts({
      ...deps,
      log,
      instanceId,
      consumeLedger: deps.consumeLedger !== false,
      isClosing,
      onLeaseGained: () => loop.forceScan(),
      recorder: {
        record: (entry) => openRecorder().record(entry),
        recordMany: (entries) => openRecorder().recordMany(entries),
      },
    });
    running = { ...parts, database };
    await parts.lease.start();
    loop.start();
  }

  const close = onceClose(async () => {
    closing = true;
    await loop.stop();
    const r = running;
    if (!r) return;
    await closeAll(
      [
        () => r.ledger?.close(),
        () => r.lease.close(),
        () => r.redis.quit().catch(() => r.redis.disconnect()),
        () => r.database.close(),
      ],
      'scanner close',
    );
    log.info('Scanner stopped');
  });

  return { instanceId, start, close, scanNow: loop.scanNow, isLeader };
}
