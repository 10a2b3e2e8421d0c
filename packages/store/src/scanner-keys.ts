/**
 * The scanner's status hash as `runwarden status` and the scanner read it.
 * The keys are defined once, in core; exported here too, so apps can read
 * them without importing the scanner app.
 */
export { scannerLeaseKey, scannerStatusKey } from '@runwarden/core';

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
