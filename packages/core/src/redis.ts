/**
 * Redis connections. BullMQ workers block on Redis, so their connections need
 * `maxRetriesPerRequest: null` (ioredis then waits through a Redis restart
 * instead of failing commands). Admin calls get a connection of their own:
 * in BullMQ 6 `queue.client` is not public.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { RunwardenError } from './errors.js';

export interface RedisConnectionOptions {
  /** Label shown in `CLIENT LIST`, e.g. `runwarden:scanner`. */
  name?: string;
  /**
   * Fail commands fast instead of queueing them while disconnected. For
   * one-shot CLI calls; never for workers.
   * @defaultValue false
   */
  failFast?: boolean;
}

export function createRedisConnection(url: string, options: RedisConnectionOptions = {}): Redis {
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest: options.failFast ? 1 : null,
    enableOfflineQueue: !options.failFast,
    connectionName: options.name,
    // Back off to at most 2 s between reconnects, forever: Redis going away is
    // an outage to ride out, not a reason to exit.
    retryStrategy: (times) => (options.failFast && times > 2 ? null : Math.min(times * 100, 2_000)),
    lazyConnect: false,
  };
  return new Redis(url, redisOptions);
}

/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.protocol.startsWith('http')) return `${parsed.protocol}//${parsed.host}/***`;
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** Resolves when Redis answers PING, or throws a REDIS_UNAVAILABLE error saying where. */
export async function pingRedis(url: string, timeoutMs = 2_000): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectionName: 'runwarden:ping', retryStrategy: () => null });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => (lastError = err));
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
  } catch (err) {
    throw new RunwardenError('REDIS_UNAVAILABLE', `Redis at ${redactUrl(url)} is not reachable (${lastError?.message ?? (err as Error).message})`, { cause: err });
  } finally {
    client.disconnect();
  }
}
