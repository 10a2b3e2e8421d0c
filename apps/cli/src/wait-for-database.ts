/**
 * A scanner started before the pipeline has created its database waits for it
 * instead of exiting (containers would otherwise restart in a loop):
 *
 *   start() ──ok──▶ started
 *     └─ DATABASE_MISSING (or an empty file) ──▶ "waiting for database" in Redis
 *          + one warning every 30 s ──▶ retry every second ──▶ start() …
 *
 * Any other error ends the wait: a file that is not SQLite or lacks the
 * pipeline's tables is a configuration mistake, not a matter of time.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { RunwardenError, type Logger } from '@runwarden/core/essentials';
import type { Redis } from 'ioredis';

/** Redis hash of the scanners waiting for the database: instance id → JSON {@link DatabaseWait}. */
export function databaseWaitKey(prefix: string): string {
  return `${prefix}:scanner:waiting-for-database`;
}

export interface DatabaseWait {
  database: string;
  since: string;
  reason: string;
}

export interface WaitForDatabaseOptions {
  /** Opens the database and starts the scanner; throws RunwardenError DATABASE_MISSING while the file is not there. */
  start: () => Promise<void>;
  database: string;
  redis: Redis;
  prefix: string;
  instanceId: string;
  logger: Logger;
  /** @defaultValue 1000 */
  pollMs?: number;
  /** How often the waiting line is logged and the Redis entry renewed. @defaultValue 30000 */
  reportEveryMs?: number;
}

export interface DatabaseWaiter {
  /** Resolves once the first try is over: true when started, false when waiting. Rejects on other errors. */
  firstTry: Promise<boolean>;
  /** Resolves when started (or cancelled); rejects when a later try fails for another reason. */
  started: Promise<void>;
  cancel(): Promise<void>;
}

function isNotThereYet(err: unknown, file: string): boolean {
  if (!(err instanceof RunwardenError)) return false;
  if (err.code === 'DATABASE_MISSING') return true;
  try {
    return err.code === 'DATABASE_INVALID' && statSync(file).size === 0;
  } catch {
    return false;
  }
}

export function startWhenDatabaseReady(options: WaitForDatabaseOptions): DatabaseWaiter {
  const { redis, instanceId, logger } = options;
  const pollMs = options.pollMs ?? 1000;
  const reportEveryMs = options.reportEveryMs ?? 30_000;
  const database = path.resolve(options.database);
  const key = databaseWaitKey(options.prefix);
  let cancelled = false;
  let wake: (() => void) | undefined;
  let waitingSince: number | undefined;
  let reportedAt = 0;

  async function report(reason: string): Promise<void> {
    const now = Date.now();
    if (now - reportedAt < reportEveryMs) return;
    reportedAt = now;
    waitingSince ??= now;
    logger.warn(
      { database, waitingSinceS: Math.round((now - waitingSince) / 1000) },
      `Scanner waiting for database ${database}: ${reason} Checking every ${pollMs / 1000} s; start the pipeline or fix "database" in runwarden.yaml.`,
    );
    const entry: DatabaseWait = { database, since: new Date(waitingSince).toISOString(), reason };
    await redis
      .multi()
      .hset(key, instanceId, JSON.stringify(entry))
      .pexpire(key, reportEveryMs * 3)
      .exec()
      .catch((err: Error) =>
        logger.warn({ err: err.message }, 'Could not record the database wait in Redis'),
      );
  }

  async function attempt(): Promise<boolean> {
    try {
      await options.start();
    } catch (err) {
      if (!isNotThereYet(err, database)) throw err;
      await report((err as Error).message.split('. ')[0] + '.');
      return false;
    }
    if (waitingSince !== undefined) {
      logger.info(
        { database, waitedS: Math.round((Date.now() - waitingSince) / 1000) },
        `Database ${database} is there; the scanner has started`,
      );
      await redis.hdel(key, instanceId).catch(() => undefined);
    }
    return true;
  }

  const firstTry = attempt();
  const started = firstTry.then(async (ok) => {
    while (!ok && !cancelled) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pollMs).unref();
      });
      if (!cancelled) ok = await attempt();
    }
  });
  // firstTry's rejection is the caller's to handle; keep `started` from being unhandled then.
  started.catch(() => undefined);
  return {
    firstTry,
    started,
    async cancel() {
      cancelled = true;
      wake?.();
      await started.catch(() => undefined);
      if (waitingSince !== undefined) await redis.hdel(key, instanceId).catch(() => undefined);
    },
  };
}
