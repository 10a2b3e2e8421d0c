/**
 * Readiness: does Redis answer now?
 *
 *   board connection ready ──▶ PING on it (one in flight at a time), bounded by the timeout
 *   board connection down  ──▶ one fail-fast check (connects, no retries), so /readyz turns
 *                              200 as soon as Redis is back, before the connection's next retry
 *
 * The board's own connection is reused, so a probe every few seconds opens no
 * connection while Redis is up. When the check fails, `since` says from when.
 */
import { checkRedis, redisHealth, type RedisConnection } from '@runwarden/core';

export interface RedisReadiness {
  /** Resolves when Redis answers within `timeoutMs`; rejects with the reason otherwise. */
  check(timeoutMs: number): Promise<void>;
  /** When readiness first failed in the current outage, or undefined while ready. */
  since(): Date | undefined;
}

export function createRedisReadiness(connection: RedisConnection, url: string): RedisReadiness {
  let ping: Promise<unknown> | undefined;
  let failingSince: Date | undefined;
  const attempt = (timeoutMs: number): Promise<unknown> => {
    if (connection.status !== 'ready') return checkRedis(url, { timeoutMs });
    ping ??= connection.ping().finally(() => (ping = undefined));
    return ping;
  };
  return {
    async check(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([attempt(timeoutMs), deadline]);
        failingSince = undefined;
      } catch (err) {
        failingSince ??= redisHealth.downSince() ?? new Date();
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
    since: () => failingSince,
  };
}
