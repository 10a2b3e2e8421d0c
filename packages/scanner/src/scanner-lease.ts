/**
 * One scanner scans; the others wait. The lease is a Redis key set with
 * `SET NX PX` holding this scanner's token, renewed well before it expires.
 *
 *   standby ──acquire (NX)──▶ holder ──renew every ttl/5──▶ holder
 *                                    ──renewal fails / late──▶ standby (stops enqueueing)
 *
 * Fencing: before each enqueue batch the holder runs `fence()`, a Lua script
 * that checks the key still holds its token and extends it, atomically. The
 * residual window: BullMQ's add is a separate command, so a holder that
 * pauses for longer than the lease between `fence()` and the add could add
 * after a standby took over. What it adds then is an event from the shared
 * outbox with the same deterministic job id the new holder uses, which
 * BullMQ ignores as a duplicate; nothing is announced twice unless the job
 * already finished and was removed by retention in that same instant.
 *
 * With `database`, the lease is also recorded in the scanned database (store's
 * `createDbLeaseGuard`): a scanner on a different Redis that finds a live holder
 * there does not scan, and `start()` fails saying so.
 */
import {
  describeTarget,
  leaseToken,
  LuaScript,
  parseRedisUrl,
  RunwardenError,
  type Logger,
} from '@runwarden/core';
import { createDbLeaseGuard } from '@runwarden/store';
import type { Redis } from 'ioredis';

/** Returns 1 when the key holds our token (and extends it), or was free and is now ours. */
const ACQUIRE_OR_RENEW = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0`);
const FENCE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`);
const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/** The database half of the lease failed (not Redis). */
class DatabaseLeaseError extends Error {
  override name = 'DatabaseLeaseError';
}

export interface ScannerLeaseOptions {
  redis: Redis;
  key: string;
  instanceId: string;
  ttlMs: number;
  logger: Logger;
  /** Called when this scanner gains or loses the lease. */
  onChange?: (held: boolean) => void;
  /** Record the lease in this database too (one scanner per database, whatever Redis it uses). */
  database?: { file: string; redisUrl: string; prefix: string };
}

export interface ScannerLease {
  readonly token: string;
  /** Tries once now, then keeps renewing or retrying in the background. */
  start(): Promise<void>;
  isHeld(): boolean;
  /** Checks atomically that the lease is still ours and extends it; false means stop enqueueing. */
  fence(): Promise<boolean>;
  close(): Promise<void>;
}

export function createScannerLease(options: ScannerLeaseOptions): ScannerLease {
  const { redis, key, ttlMs, logger } = options;
  const token = leaseToken(options.instanceId);
  // Counted from when the command was sent, so a slow answer shortens the lease, never lengthens it.
  let validUntil = 0;
  let held = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const every = Math.max(50, Math.min(ttlMs / 5, 1_000));
  const db = options.database;
  const guard = db
    ? createDbLeaseGuard({
        ...db,
        redis,
        redisLabel: `${describeTarget(parseRedisUrl(db.redisUrl))} (prefix ${db.prefix})`,
        holder: token,
        ttlMs,
        logger,
      })
    : undefined;

  const setHeld = (now: boolean) => {
    if (now === held) return;
    held = now;
    options.onChange?.(now);
  };
  /** The database half of the lease; its failures are the database's, not Redis's. */
  const databaseAllows = async (): Promise<boolean> => {
    try {
      return await guard!.allows();
    } catch (err) {
      const text = (err as Error).message;
      throw new DatabaseLeaseError(
        `the lease row in ${db!.file} could not be checked (${text}); is the database locked, read-only or gone?`,
        { cause: err },
      );
    }
  };
  const attempt = async () => {
    const sentAt = Date.now();
    try {
      let result = Number(await ACQUIRE_OR_RENEW.run(redis, [key], [token, ttlMs]));
      if (closed) return;
      if (result > 0 && guard && !(await databaseAllows())) {
        await RELEASE.run(redis, [key], [token]);
        result = 0;
      }
      if (result > 0) validUntil = sentAt + ttlMs;
      else if (held)
        logger.warn(
          { key },
          'Scanner lease was taken by another scanner; this one stops scanning and waits as a standby',
        );
      setHeld(result > 0);
    } catch (err) {
      const text = (err as Error).message;
      logger.warn(
        { err: text },
        `Could not renew the scanner lease: ${err instanceof DatabaseLeaseError ? text : `Redis did not answer (${text})`}; retrying. Scanning pauses if the lease runs out`,
      );
      if (Date.now() >= validUntil) setHeld(false);
    }
  };
  const loop = () => {
    timer = setTimeout(() => {
      void attempt().finally(() => {
        if (!closed) loop();
      });
    }, every);
  };

  return {
    token,
    async start() {
      await attempt();
      // A foreign row may be a leftover (its Redis lost its data): wait out its 3 × ttl before refusing.
      const until = Date.now() + 3 * ttlMs + every;
      while (guard?.refusal() && !closed && Date.now() < until) {
        await new Promise((r) => setTimeout(r, every));
        await attempt();
      }
      const refusal = guard?.refusal();
      if (refusal) throw new RunwardenError('USAGE', refusal);
      if (!closed) loop();
    },
    isHeld: () => held && Date.now() < validUntil,
    async fence() {
      const sentAt = Date.now();
      const ok = Number(await FENCE.run(redis, [key], [token, ttlMs])) === 1;
      if (ok) validUntil = sentAt + ttlMs;
      else if (held) {
        logger.warn(
          { key },
          'Scanner lease lost before enqueueing; nothing more is enqueued by this scanner until it holds the lease again',
        );
        setHeld(false);
      }
      return ok;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      if (held) await RELEASE.run(redis, [key], [token]).catch(() => undefined);
      guard?.close(held);
      setHeld(false);
    },
  };
}
