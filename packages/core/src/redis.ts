/**
 * Redis connections. BullMQ workers block on Redis, so their connections need
 * `maxRetriesPerRequest: null` (ioredis then waits through a Redis restart
 * instead of failing commands). Admin calls get a connection of their own:
 * in BullMQ 6 `queue.client` is not public.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
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

/**
 * Where Redis is, from a URL:
 * - `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS): one server;
 * - `redis-sentinel://[:pass@]host1:26379,host2:26379/<master-name>[/db]`: Sentinel;
 * - `redis-cluster://[:pass@]host1:7000,host2:7001`: Cluster (use a hash-tagged
 *   prefix such as `{runwarden}` so each queue's keys share a slot).
 */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | {
      kind: 'sentinel';
      sentinels: { host: string; port: number }[];
      name: string;
      password?: string;
      db: number;
    }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; password?: string };

function hostList(text: string, defaultPort: number): { host: string; port: number }[] {
  return text
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const [host, port] = part.split(':');
      return { host: host || '127.0.0.1', port: port ? Number(port) : defaultPort };
    });
}

export function parseRedisUrl(url: string): RedisTarget {
  const match =
    /^(redis-sentinel|redis-cluster):\/\/(?:([^@/]*)@)?([^/]+)(?:\/([^/]*))?(?:\/(\d+))?$/.exec(
      url,
    );
  if (!match) return { kind: 'single', url };
  const [, scheme, auth, hosts, name, db] = match;
  const password = auth
    ? decodeURIComponent(auth.includes(':') ? auth.slice(auth.indexOf(':') + 1) : auth)
    : undefined;
  if (scheme === 'redis-cluster')
    return { kind: 'cluster', nodes: hostList(hosts!, 6379), ...(password ? { password } : {}) };
  if (!name)
    throw new RunwardenError(
      'USAGE',
      `Sentinel URL ${redactUrl(url)} names no master: write redis-sentinel://host:26379/<master-name>`,
    );
  return {
    kind: 'sentinel',
    sentinels: hostList(hosts!, 26379),
    name: decodeURIComponent(name),
    db: db ? Number(db) : 0,
    ...(password ? { password } : {}),
  };
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
  const target = parseRedisUrl(url);
  if (target.kind === 'sentinel') {
    const { kind: _kind, ...sentinel } = target;
    return new Redis({ ...redisOptions, ...sentinel });
  }
  if (target.kind === 'cluster') {
    // BullMQ accepts a Cluster wherever it takes a connection; the type is widened here once.
    return new Cluster(target.nodes, {
      redisOptions: { ...redisOptions, ...(target.password ? { password: target.password } : {}) },
    }) as unknown as Redis;
  }
  return new Redis(url, redisOptions);
}

/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.username && !parsed.password && /^redis-(sentinel|cluster):$/.test(parsed.protocol))
      parsed.username = '***';
    if (parsed.protocol.startsWith('http')) return `${parsed.protocol}//${parsed.host}/***`;
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** Resolves when Redis answers PING, or throws a REDIS_UNAVAILABLE error saying where. */
export async function pingRedis(url: string, timeoutMs = 2_000): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectionName: 'runwarden:ping',
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => (lastError = err));
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
  } catch (err) {
    throw new RunwardenError(
      'REDIS_UNAVAILABLE',
      `Redis at ${redactUrl(url)} is not reachable (${lastError?.message ?? (err as Error).message})`,
      { cause: err },
    );
  } finally {
    client.disconnect();
  }
}

/**
 * Deletes every key under `<prefix>:`: a demo or a test leaves nothing behind
 * on a Redis it shares. SCAN, not KEYS, so a big Redis is not blocked.
 */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectionName: 'runwarden:cleanup' });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}
