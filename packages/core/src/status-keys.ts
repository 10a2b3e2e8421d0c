/**
 * Redis keys that one role writes beside the queues and others read (the
 * board's /metrics, `runwarden status`): one definition, so writer and
 * readers cannot drift apart.
 */

/** Hash the scanner keeps: holder, lastScanAt (ISO), lastScanMs, activeRuns, lastDetectionLagMs, eventsEnqueued, skippedRows, skippedRowsText, blindSince, blindReason. */
export const scannerStatusKey = (prefix: string): string => `${prefix}:scanner:status`;
/** String: `<instanceId>.<token>` of the scanner that holds the lease; expires unless renewed. */
export const scannerLeaseKey = (prefix: string): string => `${prefix}:scanner:lease`;
/**
 * String: a random token the scanner writes once and records in SQLite
 * (`redis_epoch`). Gone or different means Redis lost its data (FLUSHALL, a
 * restart without AOF, a failover to an empty replica): the scanner re-enqueues.
 */
export const scannerEpochKey = (prefix: string): string => `${prefix}:scanner:epoch`;
/** Hash the retention job writes after each run: lastRunAt, lastDeleted, lastFreedBytes, archives, archiveBytes, totalDeleted. */
export const retentionStatusKey = (prefix: string): string => `${prefix}:retention:status`;
/** Hash of the alert engine's counters (sent, held, digests, …). */
export const alertStatsKey = (prefix: string): string => `${prefix}:alerts:stats`;

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
}

/** Parses the `HGETALL` of the scanner status hash (`scannerStatusKey`). */
export function parseScannerStatus(hash: Record<string, string>): ScannerStatus {
  const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));
  return {
    holder: hash.holder || null,
    lastScanAt: hash.lastScanAt || null,
    lastScanMs: num(hash.lastScanMs),
    activeRuns: num(hash.activeRuns),
    lastDetectionLagMs: num(hash.lastDetectionLagMs),
    eventsEnqueued: num(hash.eventsEnqueued) ?? 0,
    skippedRows: num(hash.skippedRows) ?? 0,
    skippedRowsText: hash.skippedRowsText || null,
  };
}
