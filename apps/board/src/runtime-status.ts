/**
 * What other processes publish in Redis for the board to show. The scanner
 * writes `${prefix}:scanner:status` and the alert worker `${prefix}:alerts:stats`;
 * both are written by other apps, possibly older or newer versions, so every
 * field is read defensively: a missing or malformed field is `undefined`,
 * never an error that breaks a scrape.
 */
import { alertStatsKey, scannerStatusKey } from '@runwarden/core';
import type { Redis } from 'ioredis';

export interface ScannerStatus {
  /** Who holds the scanner lease, e.g. `host:pid`. */
  holder?: string;
  /** Epoch milliseconds of the last finished scan. */
  lastScanAt?: number;
  lastScanMs?: number;
  activeRuns?: number;
  lastDetectionLagMs?: number;
  eventsEnqueued?: number;
  skippedRows?: number;
  /** Set while the scanner is blind (no scan succeeded for scanner.blindAfter): since when, and why. */
  blindSince?: number;
  blindReason?: string;
}

export const ALERT_STAT_FIELDS = [
  'sent',
  'held',
  'digests',
  'deadLettered',
  'deduplicated',
] as const;
type AlertStatField = (typeof ALERT_STAT_FIELDS)[number];
export type AlertStats = Partial<Record<AlertStatField, number>>;

/** A finite, non-negative number, or undefined. */
function toCount(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * A time as epoch milliseconds. Accepts epoch ms, epoch seconds (values too
 * small to be ms after 2001) and ISO-8601 text, since the writer's format is not pinned.
 */
export function toEpochMs(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (Number.isFinite(n) && n > 0) return n < 1e11 ? n * 1000 : n;
  const parsed = Date.parse(raw);
  return Number.isNaN(parsed) ? undefined : parsed;
}

export function parseScannerStatus(hash: Record<string, string>): ScannerStatus {
  const holder = hash.holder?.trim();
  return {
    holder: holder ? holder : undefined,
    lastScanAt: toEpochMs(hash.lastScanAt),
    lastScanMs: toCount(hash.lastScanMs),
    activeRuns: toCount(hash.activeRuns),
    lastDetectionLagMs: toCount(hash.lastDetectionLagMs),
    eventsEnqueued: toCount(hash.eventsEnqueued),
    skippedRows: toCount(hash.skippedRows),
    blindSince: toEpochMs(hash.blindSince),
    blindReason: hash.blindReason?.trim() || undefined,
  };
}

export function parseAlertStats(hash: Record<string, string>): AlertStats {
  const stats: AlertStats = {};
  for (const field of ALERT_STAT_FIELDS) {
    const value = toCount(hash[field]);
    if (value !== undefined) stats[field] = value;
  }
  return stats;
}

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
