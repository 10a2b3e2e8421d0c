/**
 * Processing times of a queue's most recently completed jobs, read as two
 * fields per job (processedOn, finishedOn) instead of whole jobs: a completed
 * archive job carries a run snapshot, and a scrape should not pull those.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** Seconds each of the last `limit` completed jobs took, newest first; jobs without both timestamps are left out. */
export async function recentDurationsSeconds(
  queue: Queue,
  redis: Redis,
  limit: number,
): Promise<number[]> {
  if (limit <= 0) return [];
  const ids = await queue.getRanges(['completed'], 0, limit - 1);
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(queue.toKey(id), 'processedOn', 'finishedOn');
  const results = (await pipeline.exec()) ?? [];
  const durations: number[] = [];
  for (const [err, fields] of results) {
    if (err || !Array.isArray(fields)) continue;
    const [processedOn, finishedOn] = fields.map((f) => Number(f));
    if (processedOn === undefined || finishedOn === undefined) continue;
    if (
      !Number.isFinite(processedOn) ||
      !Number.isFinite(finishedOn) ||
      processedOn <= 0 ||
      finishedOn < processedOn
    )
      continue;
    durations.push((finishedOn - processedOn) / 1000);
  }
  return durations;
}

/** Nearest-rank quantile of a non-empty sample. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? 0;
}
