/**
 * The scanner's status hash for operators (board /metrics, `runwarden status`).
 * Written once per scan that ran, never per idle change check.
 */
import type { Redis } from 'ioredis';
import { scannerStatusKey } from '@runwarden/core';

export interface ScanReport {
  holder: string;
  scannedAt: number;
  scanMs: number;
  activeRuns: number;
  enqueued: number;
  /** From the run's last change to its event being in the queue. */
  detectionLagMs?: number;
  /** Pipeline rows (or values) the scan could not use, and a line naming them. */
  skippedRows: number;
  skippedRowsText: string;
  /** Since when (ISO) enqueued events wait in the outbox for a Redis replica to have them. */
  replicaWaitSince?: string;
}

export async function writeScannerStatus(
  redis: Redis,
  prefix: string,
  report: ScanReport,
): Promise<void> {
  const key = scannerStatusKey(prefix);
  const fields: Record<string, string> = {
    holder: report.holder,
    lastScanAt: new Date(report.scannedAt).toISOString(),
    lastScanMs: report.scanMs.toFixed(1),
    activeRuns: String(report.activeRuns),
    skippedRows: String(report.skippedRows),
    skippedRowsText: report.skippedRowsText,
  };
  if (report.detectionLagMs !== undefined)
    fields.lastDetectionLagMs = String(Math.round(report.detectionLagMs));
  if (report.replicaWaitSince !== undefined) fields.replicaWaitSince = report.replicaWaitSince;
  const tx = redis.multi().hset(key, fields);
  if (report.replicaWaitSince === undefined) tx.hdel(key, 'replicaWaitSince');
  if (report.enqueued > 0) tx.hincrby(key, 'eventsEnqueued', report.enqueued);
  await tx.exec();
}
