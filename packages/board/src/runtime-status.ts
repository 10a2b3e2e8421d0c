/**
 * What other processes publish in Redis for the board to show: the scanner's
 * status hash and the alert engine's counters. Both contracts, and their
 * defensive parsers (a missing or malformed field is null or left out, never
 * an error that breaks a scrape), live in `@runwarden/core` (status-keys.ts).
 */
import {
  alertStatsKey,
  parseAlertStats,
  parseScannerStatus,
  scannerStatusKey,
  type AlertStat,
  type ScannerStatus,
} from '@runwarden/core';
import type { Redis } from 'ioredis';

export type AlertStats = Partial<Record<AlertStat, number>>;

/** Reads both hashes in one round trip. A key of another type yields empty results. */
export async function readRuntimeStatus(
  redis: Redis,
  prefix: string,
): Promise<{ scanner: ScannerStatus; alerts: AlertStats }> {
  const results = await redis
    .pipeline()
    .hgetall(scannerStatusKey(prefix))
    .hgetall(alertStatsKey(prefix))
    .exec();
  const hashAt = (i: number): Record<string, string> => {
    const [err, value] = results?.[i] ?? [null, {}];
    return err || value === null || typeof value !== 'object'
      ? {}
      : (value as Record<string, string>);
  };
  return { scanner: parseScannerStatus(hashAt(0)), alerts: parseAlertStats(hashAt(1)) };
}
