/**
 * Prometheus metrics, computed when scraped, so several boards (or a board
 * restarted) always agree with Redis and nothing has to be fed from events:
 *
 *   scrape ──▶ refresh (one deadline) ──▶ job counts per queue and state   (getJobCounts)
 *                                     ──▶ recent job durations per queue    (last N completed jobs)
 *                                     ──▶ scanner status, alert stats        (hashes other apps write)
 *          ──▶ registry.metrics() in the Prometheus text format
 *
 * When Redis does not answer in time, `runwarden_redis_up` is 0, queue
 * gauges are dropped rather than left stale, and counters keep their values.
 */
import {
  ALERT_STATS,
  ALL_QUEUES,
  QUEUES,
  type Logger,
  type QueueName,
  type ScannerStatus,
} from '@runwarden/core';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { recentDurationsSeconds, quantile } from './recent-durations.js';
import { readRuntimeStatus, type AlertStats } from './runtime-status.js';

export interface BoardMetricsOptions {
  /** The board's Queue objects, by name. */
  queue: (name: QueueName) => Queue;
  /** An admin connection for reading hashes and job timestamps. */
  redis: Redis;
  prefix: string;
  logger: Logger;
  /**
   * How long a scrape may wait for Redis before reporting it down.
   * @defaultValue 2000
   */
  collectTimeoutMs?: number;
  /**
   * How many of the most recently completed jobs per queue the duration quantiles cover.
   * @defaultValue 100
   */
  recentJobs?: number;
  /** Clock for the age of the last scan. @defaultValue Date.now */
  now?: () => number;
}

export interface BoardMetrics {
  readonly registry: Registry;
  /** Refreshes every gauge and renders the registry. */
  render(): Promise<{ contentType: string; body: string }>;
}

const QUANTILES = [0.5, 0.9, 0.99] as const;

function defineMetrics(registry: Registry) {
  const registers = [registry];
  return {
    redisUp: new Gauge({
      name: 'runwarden_redis_up',
      help: '1 when Redis answered the last scrape in time, else 0',
      registers,
    }),
    jobs: new Gauge({
      name: 'runwarden_queue_jobs',
      help: 'Jobs per queue and state, as counted by BullMQ at scrape time',
      labelNames: ['queue', 'state'],
      registers,
    }),
    duration: new Gauge({
      name: 'runwarden_job_duration_seconds',
      help: 'Processing time (finishedOn - processedOn) of recently completed jobs, by quantile',
      labelNames: ['queue', 'quantile'],
      registers,
    }),
    durationSamples: new Gauge({
      name: 'runwarden_job_duration_samples',
      help: 'How many recently completed jobs the duration quantiles cover',
      labelNames: ['queue'],
      registers,
    }),
    lag: new Gauge({
      name: 'runwarden_scanner_detection_lag_seconds',
      help: 'Time from a run changing to the scanner detecting it, for the last detection',
      registers,
    }),
    scan: new Gauge({
      name: 'runwarden_scanner_scan_duration_seconds',
      help: 'Duration of the last scan of the orchestration database',
      registers,
    }),
    lastScan: new Gauge({
      name: 'runwarden_scanner_last_scan_timestamp_seconds',
      help: 'When the last scan finished (unix time)',
      registers,
    }),
    scanAge: new Gauge({
      name: 'runwarden_scanner_last_scan_age_seconds',
      help: 'Seconds since the last scan finished; grows when no scanner is scanning',
      registers,
    }),
    activeRuns: new Gauge({
      name: 'runwarden_scanner_active_runs',
      help: 'Runs not yet complete at the last scan',
      registers,
    }),
    skippedRows: new Gauge({
      name: 'runwarden_scanner_skipped_rows',
      help: "Rows of the pipeline's database the last scan could not use (the scanner's log names each)",
      registers,
    }),
    blind: new Gauge({
      name: 'runwarden_scanner_blind',
      help: '1 while no scan has succeeded for scanner.blindAfter (monitor_blind raised), else 0',
      registers,
    }),
    replicaWait: new Gauge({
      name: 'runwarden_scanner_replica_wait',
      help: '1 while enqueued events wait in the outbox because no Redis replica acknowledged them (a failover would lose them), else 0',
      registers,
    }),
    leaseHolder: new Gauge({
      name: 'runwarden_scanner_lease_holder',
      help: '1 for the scanner that holds the lease (label holder)',
      labelNames: ['holder'],
      registers,
    }),
    enqueued: new Counter({
      name: 'runwarden_scanner_events_enqueued_total',
      help: 'Events the scanner has enqueued, as it reports',
      registers,
    }),
    alerts: new Counter({
      name: 'runwarden_alerts_total',
      help: 'Alert notifications by outcome (sent, held, digests, deadLettered, deduplicated), as the alert worker reports',
      labelNames: ['outcome'],
      registers,
    }),
  };
}
type Metrics = ReturnType<typeof defineMetrics>;

/** Sets a gauge when the value is known, and removes it when not, so a scrape never shows a stale figure. */
function setOrClear(gauge: Gauge, value: number | undefined): void {
  // `remove({})` rather than `reset()`: prom-client resets an unlabelled gauge to 0, which would read as a real figure.
  if (value === undefined) gauge.remove({});
  else gauge.set(value);
}

/** Counters here mirror totals kept in Redis: they are set to the reported total, not incremented. */
function setTotal(counter: Counter, value: number, labels: Record<string, string> = {}): void {
  counter.remove(labels);
  counter.inc(labels, value);
}

const seconds = (ms: number | null) => (ms === null ? undefined : ms / 1000);

function applyScanner(m: Metrics, scanner: ScannerStatus, now: number): void {
  const lastScanAt = scanner.lastScanAt === null ? null : Date.parse(scanner.lastScanAt);
  setOrClear(m.lag, seconds(scanner.lastDetectionLagMs));
  setOrClear(m.scan, seconds(scanner.lastScanMs));
  setOrClear(m.lastScan, seconds(lastScanAt));
  setOrClear(m.scanAge, seconds(lastScanAt === null ? null : Math.max(0, now - lastScanAt)));
  setOrClear(m.activeRuns, scanner.activeRuns ?? undefined);
  // Counts the parser defaults to 0 are left out until the scanner has scanned.
  setOrClear(m.skippedRows, lastScanAt === null ? undefined : scanner.skippedRows);
  setOrClear(m.blind, scanner.blindSince !== null ? 1 : lastScanAt !== null ? 0 : undefined);
  setOrClear(
    m.replicaWait,
    scanner.replicaWaitSince !== null ? 1 : lastScanAt !== null ? 0 : undefined,
  );
  m.leaseHolder.reset();
  if (scanner.holder) m.leaseHolder.set({ holder: scanner.holder }, 1);
  if (lastScanAt !== null) setTotal(m.enqueued, scanner.eventsEnqueued);
}

function applyAlerts(m: Metrics, alerts: AlertStats): void {
  for (const field of ALERT_STATS) {
    const value = alerts[field];
    if (value !== undefined) setTotal(m.alerts, value, { outcome: field });
  }
}

async function collectQueues(options: BoardMetricsOptions, m: Metrics): Promise<void> {
  const limit = options.recentJobs ?? 100;
  const perQueue = await Promise.all(
    ALL_QUEUES.map(async (name) => {
      const queue = options.queue(name);
      const counts = await queue.getJobCounts();
      // Dead letters are never processed, so they have no durations to show.
      const durations =
        name === QUEUES.deadLetter ? [] : await recentDurationsSeconds(queue, options.redis, limit);
      return { name, counts, durations };
    }),
  );
  m.jobs.reset();
  m.duration.reset();
  m.durationSamples.reset();
  for (const { name, counts, durations } of perQueue) {
    for (const [state, count] of Object.entries(counts)) m.jobs.set({ queue: name, state }, count);
    m.durationSamples.set({ queue: name }, durations.length);
    if (durations.length === 0) continue;
    for (const q of QUANTILES)
      m.duration.set({ queue: name, quantile: String(q) }, quantile(durations, q));
  }
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export function createBoardMetrics(options: BoardMetricsOptions): BoardMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'runwarden_board_' });
  const m = defineMetrics(registry);
  // Unlabelled metrics start at 0 in prom-client; until someone reports them they must be absent.
  for (const metric of [m.lag, m.scan, m.lastScan, m.scanAge, m.activeRuns, m.enqueued])
    metric.remove({});
  const now = options.now ?? Date.now;
  const log = options.logger.child({ component: 'metrics' });

  const refresh = async () => {
    try {
      await withDeadline(
        Promise.all([
          collectQueues(options, m),
          readRuntimeStatus(options.redis, options.prefix).then(({ scanner, alerts }) => {
            applyScanner(m, scanner, now());
            applyAlerts(m, alerts);
          }),
        ]),
        options.collectTimeoutMs ?? 2_000,
      );
      m.redisUp.set(1);
    } catch (err) {
      m.redisUp.set(0);
      m.jobs.reset();
      m.duration.reset();
      m.durationSamples.reset();
      log.warn(
        { err: (err as Error).message },
        'Metrics scrape could not read Redis; reporting runwarden_redis_up 0. Check that Redis is up and REDIS_URL is right',
      );
    }
  };

  return {
    registry,
    async render() {
      await refresh();
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
