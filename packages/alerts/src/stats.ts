import type { Redis } from 'ioredis';
import { ALERT_STATS, type AlertStat } from '@runwarden/core';
import { alertStatsKey } from './keys.js';

export async function incrementStat(
  redis: Redis,
  prefix: string,
  stat: AlertStat,
  by = 1,
): Promise<void> {
  await redis.hincrby(alertStatsKey(prefix), stat, by);
}

/** Every counter, zero when never incremented. */
export async function readAlertStats(
  redis: Redis,
  prefix: string,
): Promise<Record<AlertStat, number>> {
  const raw = await redis.hgetall(alertStatsKey(prefix));
  return Object.fromEntries(ALERT_STATS.map((s) => [s, Number(raw[s] ?? 0)])) as Record<
    AlertStat,
    number
  >;
}
