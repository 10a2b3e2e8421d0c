/**
 * What other processes publish in Redis for the board to show: the scanner's
 * status hash, the lease key and the alert engine's counters. Both contracts, and their
 * defensive parsers (a missing or malformed field is null or left out, never
 * an error that breaks a scrape), live in `@runwarden/core` (status-keys.ts).
 */
import {
  alertStatsKey,
  parseAlertStats,
  parseLeaseHolder,
  parseScannerStatus,
  scannerLeaseKey,
  scannerStatusKey,
  type AlertStat,
  type ScannerStatus,
} from '@runwarden/core';
import type { Redis } from 'ioredis';

export type AlertStats = Partial<Record<AlertStat, number>>;

/**
 * Reads the hashes and the lease in one round trip; `scanner.holder` is the
 * lease holder now (null when no lease is held). A key of another type yields
 * empty results.
 */
export async function readRuntimeStatus(
  redis: Redis,
  prefix: string,
): Promise<{ scanner: ScannerStatus; alerts: AlertStats }> {
  const results = await redis
    .pipeline()
    .hgetall(scannerStatusKey(prefix))
    .hgetall(alertStatsKey(prefix))
    .get(scannerLeaseKey(prefix))
    .exec();
  const hashAt = (i: number): Record<string, string> => {
    const [err, value] = results?.[i] ?? [null, {}];
    return err || value === null || typeof value !== 'object'
      ? {}
      : (value as Record<string, string>);
  };
  const [leaseErr, lease] = results?.[2] ?? [null, null];
  const holder = parseLeaseHolder(!leaseErr && typeof lease === 'string' ? lease : null);
  return {
    scanner: { ...parseScannerStatus(hashAt(0)), holder },
    alerts: parseAlertStats(hashAt(1)),
  };
}
