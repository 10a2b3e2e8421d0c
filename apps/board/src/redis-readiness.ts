/**
 * Readiness: does Redis answer PING now? Each check opens a short-lived
 * connection that does not retry or queue commands, so a Redis that is down
 * yields a quick 503 instead of a request that waits for a reconnect.
 * (Core's `pingRedis` sends PING before its fail-fast connection is up and
 * so fails against a healthy Redis; see the board's note to core.)
 */
import { redactUrl, RunwardenError } from '@runwarden/core';
import { Redis } from 'ioredis';

export async function checkRedisReady(url: string, timeoutMs: number): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    connectionName: 'runwarden:board-readiness',
  });
  client.on('error', () => undefined); // the rejection below carries the reason
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([client.connect().then(() => client.ping()), deadline]);
  } catch (err) {
    throw new RunwardenError(
      'REDIS_UNAVAILABLE',
      `Redis at ${redactUrl(url)} is not reachable (${(err as Error).message})`,
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
