/**
 * Redis keys the scanner keeps beside the queues, for the board (/metrics)
 * and `runwarden status`. Exported here, in a package, so apps can read them
 * without importing the scanner app.
 */

/** Hash: holder, lastScanAt (ISO), lastScanMs, activeRuns, lastDetectionLagMs, eventsEnqueued. */
export const scannerStatusKey = (prefix: string): string => `${prefix}:scanner:status`;
/** String: `<instanceId>.<token>` of the scanner that holds the lease; expires unless renewed. */
export const scannerLeaseKey = (prefix: string): string => `${prefix}:scanner:lease`;

export interface ScannerStatus {
  holder: string | null;
  lastScanAt: string | null;
  lastScanMs: number | null;
  activeRuns: number | null;
  lastDetectionLagMs: number | null;
  eventsEnqueued: number;
}

/** Parses the `HGETALL` of {@link scannerStatusKey}. */
export function parseScannerStatus(hash: Record<string, string>): ScannerStatus {
  const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));
  return {
    holder: hash.holder || null,
    lastScanAt: hash.lastScanAt || null,
    lastScanMs: num(hash.lastScanMs),
    activeRuns: num(hash.activeRuns),
    lastDetectionLagMs: num(hash.lastDetectionLagMs),
    eventsEnqueued: num(hash.eventsEnqueued) ?? 0,
  };
}
