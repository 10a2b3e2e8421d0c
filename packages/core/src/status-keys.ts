/**
 * Redis keys that one role writes beside the queues and others read (the
 * board's /metrics, `runwarden status`): one definition, so writer and
 * readers cannot drift apart.
 */

/** Hash the scanner keeps: holder, lastScanAt (ISO), lastScanMs, activeRuns, lastDetectionLagMs, eventsEnqueued. */
export const scannerStatusKey = (prefix: string): string => `${prefix}:scanner:status`;
/** String: `<instanceId>.<token>` of the scanner that holds the lease; expires unless renewed. */
export const scannerLeaseKey = (prefix: string): string => `${prefix}:scanner:lease`;
/** Hash of the alert engine's counters (sent, held, digests, …). */
export const alertStatsKey = (prefix: string): string => `${prefix}:alerts:stats`;
