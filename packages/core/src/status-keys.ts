/**
 * Redis keys that one role writes beside the queues and others read (the
 * board's /metrics, `runwarden status`): one definition, so writer and
 * readers cannot drift apart.
 */
import { randomUUID } from 'node:crypto';

/** Hash the scanner keeps: holder, lastScanAt (ISO), lastScanMs, activeRuns, lastDetectionLagMs, eventsEnqueued, skippedRows, skippedRowsText, blindSince, blindReason, replicaWaitSince. */
export const scannerStatusKey = (prefix: string): string => `${prefix}:scanner:status`;
/** String: `<instanceId>.<token>` of the scanner that holds the lease; expires unless renewed. */
export const scannerLeaseKey = (prefix: string): string => `${prefix}:scanner:lease`;
/** A lease token for this scanner: what `parseLeaseHolder` reads back. */
export function leaseToken(instanceId: string): string {
  return `${instanceId}.${randomUUID().slice(0, 8)}`;
}

/**
 * The scanner that holds the lease now: the instance id in the lease key's
 * value, or null when no lease is held (the key expired). The status hash's
 * `holder` is only the last scanner that scanned, and outlives its lease.
 */
export function parseLeaseHolder(value: string | null): string | null {
  if (!value) return null;
  const dot = value.lastIndexOf('.');
  return dot > 0 ? value.slice(0, dot) : value;
}
/**
 * String: a random token the scanner writes once and records in SQLite
 * (`redis_epoch`). Gone or different means Redis lost its data (FLUSHALL, a
 * restart without AOF, a failover to an empty replica): the scanner re-enqueues.
 */
export const scannerEpochKey = (prefix: string): string => `${prefix}:scanner:epoch`;
/** Hash the retention job writes after each run: lastRunAt, lastDeleted, lastFreedBytes, archives, archiveBytes, totalDeleted. */
export const retentionStatusKey = (prefix: string): string => `${prefix}:retention:status`;
/** Hash of the alert engine's counters, one field per {@link ALERT_STATS} entry. */
export const alertStatsKey = (prefix: string): string => `${prefix}:alerts:stats`;

/** The counters on the alert stats hash: the alert engine increments them, /metrics and status read them. */
export const ALERT_STATS = [
  'sent',
  'held',
  'digests',
  'deadLettered',
  'deduplicated',
  'unmatched',
  'failed',
  'silenced',
] as const;
export type AlertStat = (typeof ALERT_STATS)[number];

/** The scanner status hash (`scannerStatusKey`) as readers see it. */
export interface ScannerStatus {
  holder: string | null;
  lastScanAt: string | null;
  lastScanMs: number | null;
  activeRuns: number | null;
  lastDetectionLagMs: number | null;
  eventsEnqueued: number;
  /** Pipeline rows the last scan skipped, and a line naming them (`2 rows skipped: …`). */
  skippedRows: number;
  skippedRowsText: string | null;
  /** Set while no scan has succeeded for `scanner.blindAfter` (ISO), and why; null otherwise. */
  blindSince: string | null;
  blindReason: string | null;
  /** Set (ISO) while enqueued events wait in the outbox for a Redis replica to have them. */
  replicaWaitSince: string | null;
}

/** A finite, non-negative number, or null. */
function count(raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** ISO-8601 text as the scanner writes it, or null when absent or unreadable. */
function isoTime(raw: string | undefined): string | null {
  return raw !== undefined && !Number.isNaN(Date.parse(raw)) ? raw : null;
}

const text = (raw: string | undefined): string | null => raw?.trim() || null;

/**
 * Parses the `HGETALL` of the scanner status hash (`scannerStatusKey`).
 * Another version of the scanner may have written it, so every field is read
 * defensively: a missing or malformed one is null, never an error.
 */
export function parseScannerStatus(hash: Record<string, string>): ScannerStatus {
  return {
    holder: text(hash.holder),
    lastScanAt: isoTime(hash.lastScanAt),
    lastScanMs: count(hash.lastScanMs),
    activeRuns: count(hash.activeRuns),
    lastDetectionLagMs: count(hash.lastDetectionLagMs),
    eventsEnqueued: count(hash.eventsEnqueued) ?? 0,
    skippedRows: count(hash.skippedRows) ?? 0,
    skippedRowsText: text(hash.skippedRowsText),
    blindSince: isoTime(hash.blindSince),
    blindReason: text(hash.blindReason),
    replicaWaitSince: isoTime(hash.replicaWaitSince),
  };
}

/** Parses the `HGETALL` of the alert stats hash: the known counters that hold a count. */
export function parseAlertStats(hash: Record<string, string>): Partial<Record<AlertStat, number>> {
  const stats: Partial<Record<AlertStat, number>> = {};
  for (const field of ALERT_STATS) {
    const value = count(hash[field]);
    if (value !== null) stats[field] = value;
  }
  return stats;
}

/**
 * What an archive job's `progress` holds while its zip is written. Writer: the
 * archive worker (`job.updateProgress`); readers: `runwarden status` (from the
 * job hash's `progress` field) and anything showing BullMQ's job progress.
 */
export interface ArchiveJobProgress {
  bytesDone: number;
  bytesTotal: number;
  entriesDone: number;
  entriesTotal: number;
}

/**
 * Parses an archive job's progress: the JSON text BullMQ keeps in the job
 * hash, or the object itself. Absent or malformed counts are 0, never an error.
 */
export function parseArchiveProgress(raw: unknown): ArchiveJobProgress {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      value = undefined;
    }
  }
  const fields = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  const n = (key: string) => {
    const v = fields[key];
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
  };
  return {
    bytesDone: n('bytesDone'),
    bytesTotal: n('bytesTotal'),
    entriesDone: n('entriesDone'),
    entriesTotal: n('entriesTotal'),
  };
}
