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
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import {
  closeAll,
  createRedisConnection,
  formatDuration,
  onceClose,
  scannerLeaseKey,
  type EventType,
  type Logger,
  type QueueSet,
  type QueueWorker,
  type RunwardenConfig,
  type RunwardenEvent,
} from '@runwarden/core';
import { type SkippedRow } from '@runwarden/store';
import { createLedgerConsumer } from './ledger-consumer.js';
import { createBlindWatch, type BlindWatch } from './blind-watch.js';
import { reconcileRedis } from './redis-reconcile.js';
import { fileIdentity, openScannerDatabase, type ScannerDatabase } from './scanner-database.js';
import { createSkippedRowLog } from './skipped-rows.js';
import { createScannerLease, type ScannerLease } from './scanner-lease.js';
import { createReplicaGate } from './replica-gate.js';
import { writeScannerStatus } from './scanner-status.js';
import { eventLogLine, enqueueEvents } from './route-event.js';

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

export interface Scanner {
  readonly instanceId: string;
  start(): Promise<void>;
  close(): Promise<void>;
  scanNow(): Promise<ScanResult>;
  isLeader(): boolean;
}

interface Running {
  /** Undefined while the database cannot be opened (gone, replaced by something unusable). */
  sql?: ScannerDatabase;
  redis: Redis;
  lease: ScannerLease;
  blind: BlindWatch;
  ledger?: QueueWorker;
}

const isBusy = (err: unknown) =>
  /^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: string }).code ?? ''));

export function createScanner(deps: ScannerDeps): Scanner {
  const instanceId =
    deps.instanceId ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
  const log = deps.logger.child({ component: 'scanner', instanceId });
  const clock = deps.clock ?? Date.now;
  const settings = deps.config.scanner;
  let running: Running | undefined;
  let closing = false;
  let chain: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let lastDataVersion: number | undefined;
  let nextFullScanAt = 0;
  let nextEpochCheckAt = 0;
  let lastActive = -1;
  let busySince: number | undefined;
  const skippedRows = createSkippedRowLog(log);
  const replicas = createReplicaGate(deps.queues, log);

  let lastError: { text: string; at: number } | undefined;

  function openDatabase(): ScannerDatabase {
    return openScannerDatabase({
      file: deps.config.database,
      logger: log,
      busyTimeoutMs: deps.busyTimeoutMs ?? 250,
      createIndexes: settings.createIndexes,
      stallThresholdMs: settings.stallThreshold,
      clock,
    });
  }

  /** The open database, reopened when the file at the path is not the one opened. */
  function ensureDatabase(r: Running): ScannerDatabase {
    const identity = fileIdentity(deps.config.database);
    if (r.sql && identity === r.sql.identity) return r.sql;
    if (r.sql) {
      log.warn(
        { database: deps.config.database, before: r.sql.identity, now: identity ?? null },
        identity === undefined
          ? `The orchestration database ${deps.config.database} is gone (moved or deleted); the scanner tries to reopen it at every check`
          : `The orchestration database ${deps.config.database} was replaced by another file (device:inode ${r.sql.identity} → ${identity}); the scanner reopens it and scans the new file`,
      );
      r.sql.db.close();
      r.sql = undefined;
      lastDataVersion = undefined;
      nextFullScanAt = 0;
    }
    r.sql = openDatabase();
    return r.sql;
  }

  async function start(): Promise<void> {
    if (running || closing) return;
    const sql = openDatabase();
    const redis = createRedisConnection(deps.redisUrl, { name: 'runwarden:scanner' });
    redis.on('error', (err) =>
      log.warn({ err: err.message }, 'Redis connection problem for the scanner; retrying'),
    );
    const lease = createScannerLease({
      redis,
      key: scannerLeaseKey(deps.queues.prefix),
      instanceId,
      ttlMs: settings.leaseTtl,
      logger: log,
      database: { file: deps.config.database, redisUrl: deps.redisUrl, prefix: deps.queues.prefix },
      onChange: (held) => {
        if (!held)
          return void (
            closing ||
            log.info(
              'This scanner is a standby: another holds the lease; it takes over if that one stops',
            )
          );
        lastDataVersion = undefined;
        nextFullScanAt = 0;
        log.info(
          { database: deps.config.database },
          `This scanner holds the lease and scans ${deps.config.database} (change check every ${formatDuration(settings.changeCheckInterval)}, full scan every ${formatDuration(settings.pollInterval)})`,
        );
      },
    });
    // A ledger job that finds the database closed fails and is retried.
    const openRecorder = () => {
      if (!running?.sql)
        throw new Error(`The orchestration database ${deps.config.database} is not open`);
      return running.sql.recorder;
    };
    const ledger =
      deps.consumeLedger === false
        ? undefined
        : createLedgerConsumer({
            redisUrl: deps.redisUrl,
            queues: deps.queues,
            logger: log,
            concurrency: deps.config.scanner.ledgerConcurrency,
            recorder: {
              record: (entry) => openRecorder().record(entry),
              recordMany: (entries) => openRecorder().recordMany(entries),
            },
          });
    const blind = createBlindWatch({
      queues: deps.queues,
      redis,
      logger: log,
      database: deps.config.database,
      blindAfterMs: settings.blindAfter,
    });
    running = { sql, redis, lease, blind, ledger };
    await lease.start();
    schedule(0);
  }

  async function drainOutbox(
    r: ScannerDatabase & { lease: ScannerLease },
    fresh: ReadonlySet<string>,
  ): Promise<{ enqueued: number; lagMs?: number }> {
    let enqueued = 0;
    let lagMs: number | undefined;
    while (!closing) {
      const batch = r.store.pending(100);
      if (batch.length === 0 || !(await r.lease.fence())) break;
      await enqueueEvents(deps.queues, batch, deps.alertTypes);
      if (!(await replicas.replicated(batch.length))) {
        lastDataVersion = undefined; // scan (and drain) again at the next check
        break;
      }
      const at = Date.now();
      r.store.markEnqueued(
        batch.map((e) => e.id),
        new Date(at).toISOString(),
      );
      enqueued += batch.length;
      for (const e of batch) {
        if (!fresh.has(e.id))
          log.info(
            { eventId: e.id, runId: e.runId },
            `Re-enqueued ${e.type} ${e.id} for run ${e.runId}, recorded before an interruption`,
          );
        else if (e.changedAt) lagMs = Math.max(lagMs ?? 0, at - Date.parse(e.changedAt));
      }
      if (batch.length < 100) break;
    }
    return { enqueued, lagMs };
  }

  async function doScan(): Promise<ScanResult> {
    const r = running;
    const started = performance.now();
    if (!r || closing || !r.lease.isHeld())
      return {
        leader: false,
        events: [],
        enqueued: 0,
        activeRuns: 0,
        skipped: [],
        badRows: 0,
        durationMs: 0,
      };
    const sql = ensureDatabase(r);
    const outcome = sql.cycle.scan();
    if (outcome.baselined > 0)
      log.info(
        `Found ${outcome.baselined} run(s) that finished before runwarden first watched this database: left as history, not archived, reported or alerted. To archive and report them: runwarden backfill --since 7d [--no-alerts]`,
      );
    skippedRows.report(outcome.skipped, clock());
    for (const e of outcome.fresh)
      log.info({ eventId: e.id, type: e.type, runId: e.runId }, eventLogLine(e));
    const { enqueued, lagMs } = await drainOutbox(
      { ...sql, lease: r.lease },
      new Set(outcome.fresh.map((e) => e.id)),
    );
    // At most once a second: a lost Redis is noticed within a second, and a burst of scans pays no extra round trip.
    let reconciled: Awaited<ReturnType<typeof reconcileRedis>>;
    if (Date.now() >= nextEpochCheckAt) {
      reconciled = await reconcileRedis(sql.store, {
        redis: r.redis,
        queues: deps.queues,
        logger: log,
        alertTypes: deps.alertTypes,
        fence: () => r.lease.fence(),
      });
      nextEpochCheckAt = Date.now() + 1_000;
    }
    const durationMs = performance.now() - started;
    if (outcome.activeRuns !== lastActive) {
      lastActive = outcome.activeRuns;
      log.info({ activeRuns: lastActive }, `Monitoring ${lastActive} active runs`);
    }
    await writeScannerStatus(r.redis, deps.queues.prefix, {
      holder: instanceId,
      scannedAt: Date.now(),
      scanMs: durationMs,
      activeRuns: outcome.activeRuns,
      enqueued,
      detectionLagMs: lagMs,
      skippedRows: outcome.skipped.length,
      skippedRowsText: skippedRows.summary(outcome.skipped),
      replicaWaitSince: replicas.waitingSince(),
    });
    return {
      leader: true,
      events: outcome.fresh,
      enqueued: enqueued + (reconciled ? reconciled.flows + reconciled.alerts : 0),
      activeRuns: outcome.activeRuns,
      skipped: outcome.skipped,
      badRows: outcome.badRows,
      durationMs,
    };
  }

  function scanNow(): Promise<ScanResult> {
    const next = chain.then(doScan);
    chain = next.catch(() => undefined);
    return next;
  }

  function schedule(ms: number): void {
    if (!closing) timer = setTimeout(() => void tick(), ms);
  }

  /**
   * A scan that failed is retried; a locked database is waited out, logged
   * once per episode; any other error is logged when it changes, or once a minute.
   */
  function scanFailed(err: unknown): number {
    lastDataVersion = undefined;
    const text = (err as Error).message;
    if (!isBusy(err)) {
      if (lastError?.text !== text || Date.now() - lastError.at >= 60_000) {
        lastError = { text, at: Date.now() };
        log.error({ err: text }, `Scan failed: ${text}; retrying every second`);
      }
      return 1_000;
    }
    if (busySince === undefined) {
      busySince = Date.now();
      log.warn(
        'The orchestration database is locked by another writer (a long transaction?); the scanner waits and catches up when it is released',
      );
    }
    return Math.min(1_000, settings.changeCheckInterval * 2);
  }

  async function tick(): Promise<void> {
    const r = running;
    if (!r || closing) return;
    let delay = settings.changeCheckInterval;
    try {
      if (r.lease.isHeld()) {
        const version = ensureDatabase(r).reader.dataVersion();
        if (version !== lastDataVersion || Date.now() >= nextFullScanAt) {
          lastDataVersion = version;
          nextFullScanAt = Date.now() + settings.pollInterval;
          await scanNow();
          if (busySince !== undefined)
            log.info(
              { waitedMs: Date.now() - busySince },
              'The orchestration database is writable again; the scanner caught up',
            );
          busySince = undefined;
          if (lastError) log.info(`Scanning ${deps.config.database} works again`);
          lastError = undefined;
        }
      }
      // A tick without a scan means the last scan succeeded (a failure forces the next scan).
      await r.blind.succeeded();
    } catch (err) {
      delay = scanFailed(err);
      await r.blind
        .failed((err as Error).message)
        .catch((e: Error) =>
          log.warn({ err: e.message }, `Could not raise monitor_blind: ${e.message}`),
        );
    }
    schedule(delay);
  }

  const close = onceClose(async () => {
    closing = true;
    clearTimeout(timer);
    await chain;
    const r = running;
    if (!r) return;
    await closeAll(
      [
        () => r.ledger?.close(),
        () => r.lease.close(),
        () => r.redis.quit().catch(() => r.redis.disconnect()),
        () => r.sql?.db.close(),
      ],
      'scanner close',
    );
    log.info('Scanner stopped');
  });

  return { instanceId, start, close, scanNow, isLeader: () => running?.lease.isHeld() ?? false };
}
