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
/** Hash of the alert engine's counters (sent, held, digests, …). */
export const alertStatsKey = (prefix: string): string => `${prefix}:alerts:stats`;
