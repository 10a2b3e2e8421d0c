/**
 * Redis connections, built from a URL read by `parseRedisUrl` (one server,
 * Sentinel or Cluster). BullMQ workers block on Redis, so long-lived
 * connections have `maxRetriesPerRequest: null` and reconnect forever (an
 * outage is ridden out, and reported by `redisHealth`, not thrown).
 * `checkRedis` is the fail-fast check a command makes before it starts.
 */
import { randomUUID } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { redisHealth } from './redis-health.js';
import {
  checkClusterPrefix,
  describeTarget,
  parseRedisUrl,
  redactSecrets,
  RedisCheckError,
  type RedisTarget,
} from './redis-url.js';

/** A connection to one server, a Sentinel-managed master or a Cluster; BullMQ takes each. */
export type RedisConnection = Redis;

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

const reconnectDelay = (times: number) => Math.min(times * 100, 2_000);

/** A write to a master that a failover demoted: reconnect (to the new master) and retry it. */
const readOnlyReconnect = (err: Error): 2 | false => (/^READONLY/.test(err.message) ? 2 : false);

function serverOptions(target: RedisTarget): RedisOptions {
  return {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
}

function build(target: RedisTarget, options: RedisOptions, cluster: ClusterOptions = {}): Redis {
  if (target.kind === 'cluster') {
    const { retryStrategy, enableOfflineQueue, lazyConnect, ...redisOptions } = options;
    // BullMQ accepts a Cluster wherever it takes a connection; the type is widened here once.
    return new Cluster(target.nodes, {
      clusterRetryStrategy: retryStrategy ? (times) => retryStrategy(times) : () => null,
      enableOfflineQueue,
      lazyConnect,
      slotsRefreshTimeout: 2_000,
      ...cluster,
      redisOptions: { ...redisOptions, ...serverOptions(target) },
    }) as unknown as Redis;
  }
  if (target.kind === 'sentinel')
    return new Redis({
      ...options,
      ...serverOptions(target),
      sentinels: target.sentinels,
      name: target.name,
      db: target.db,
      sentinelUsername: target.sentinelUsername,
      sentinelPassword: target.sentinelPassword,
      enableTLSForSentinelMode: target.tls,
      sentinelRetryStrategy: options.retryStrategy ? reconnectDelay : () => null,
      // No `failoverDetector`: its +switch-master handler disconnects the connector even while
      // a reconnect is resolving the master, and ioredis then ends that connection for good
      // ("Connection is closed."; seen killing an alert worker's connections in one failover of
      // three). A dead master closes the socket anyway; a demoted one that stays up answers
      // writes with READONLY, which reconnects (and asks the Sentinels again) below.
      reconnectOnError: options.retryStrategy ? readOnlyReconnect : undefined,
    });
  return new Redis({
    ...options,
    ...serverOptions(target),
    host: target.host,
    port: target.port,
    db: target.db,
  });
}

export function createRedisConnection(
  url: string | RedisTarget,
  options: RedisConnectionOptions = {},
): RedisConnection {
  const target = typeof url === 'string' ? parseRedisUrl(url) : url;
  const connection = build(target, {
    maxRetriesPerRequest: options.failFast ? 1 : null,
    enableOfflineQueue: !options.failFast,
    connectionName: options.name,
    // Back off to at most 2 s between reconnects, forever: Redis going away is
    // an outage to ride out, not a reason to exit.
    retryStrategy: (times) => (options.failFast && times > 2 ? null : reconnectDelay(times)),
  });
  redisHealth.watch(connection, describeTarget(target));
  return connection;
}

const AUTH_ERROR =
  /WRONGPASS|NOAUTH|invalid password|invalid username-password|without any password configured|NOPERM/i;

/** The connection to the master that holds `key` (on a Cluster, the node owning its slot). */
async function masterFor(connection: Redis, key: string): Promise<Redis> {
  const cluster = connection as unknown as Cluster;
  if (!connection.isCluster) return connection;
  const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', key));
  const owner = cluster.slots[slot]?.[0];
  return (
    cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner) ??
    connection
  );
}

/** What `waitForReplicas` found: the master's replicas, and how many had the writes in time. */
export interface ReplicaAck {
  replicas: number;
  acknowledged: number;
}

/**
 * Waits, at most `timeoutMs`, until the writes this connection made to
 * `key`'s master have reached a replica, when that master has any: a
 * failover to that replica then keeps them. WAIT counts the writes of the
 * connection it is sent on, so `connection` must be the one that wrote.
 * `acknowledged` is 0 at once on a Redis without replicas.
 */
export async function waitForReplicas(
  connection: Redis,
  key: string,
  timeoutMs = 1_000,
): Promise<ReplicaAck> {
  const node = await masterFor(connection, key);
  const replicas = Number(/connected_slaves:(\d+)/.exec(await node.info('replication'))?.[1] ?? 0);
  if (replicas === 0) return { replicas, acknowledged: 0 };
  return { replicas, acknowledged: Number(await node.call('WAIT', 1, timeoutMs)) };
}

/** True when writes are as safe as this Redis makes them: no replica, or one has them. */
export const replicaSafe = (ack: ReplicaAck): boolean => ack.replicas === 0 || ack.acknowledged > 0;

/**
 * QUIT when Redis answers (pending replies arrive first), else disconnect at
 * once: a QUIT queued for a Redis that is down would wait for it forever.
 */
export async function closeRedisConnection(connection: Redis, timeoutMs = 2_000): Promise<void> {
  if (connection.status === 'end') return;
  if (connection.status !== 'ready') return void connection.disconnect();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    connection.quit().catch(() => undefined),
    new Promise((r) => (timer = setTimeout(r, timeoutMs))),
  ]);
  clearTimeout(timer);
  if ((connection.status as string) !== 'end') connection.disconnect();
}

/** Turns an error from ioredis into a RedisCheckError saying which problem it is. */
export function classifyRedisError(err: unknown, where: string): RedisCheckError {
  const text = redactSecrets(err instanceof Error ? err.message : String(err));
  if (err instanceof RedisCheckError) return err;
  if (AUTH_ERROR.test(text))
    return new RedisCheckError(
      'auth',
      where,
      `Redis at ${where} refused the login (${text.split('\n')[0]}): check the user and password in redis.url or REDIS_URL`,
      err,
    );
  if (/READONLY|MASTERDOWN/.test(text))
    return new RedisCheckError(
      'not-master',
      where,
      `Redis at ${where} is not a writable master (${text.split('\n')[0]}): point redis.url at the master, or use a redis-sentinel:// URL`,
      err,
    );
  return new RedisCheckError(
    'unreachable',
    where,
    `Redis at ${where} is not reachable (${text.split('\n')[0]})`,
    err,
  );
}

export interface RedisCheck {
  /** Where, for people (no password). */
  where: string;
  version: string;
  /** `maxmemory-policy` of each master; anything but `noeviction` can lose jobs. */
  evictionPolicies: string[];
}

/** The warning to log when a Redis may evict keys (queued jobs, leases), or undefined. */
export function evictionWarning(check: RedisCheck): string | undefined {
  const bad = check.evictionPolicies.filter((p) => p !== 'noeviction');
  if (bad.length === 0) return undefined;
  return `Redis at ${check.where} has maxmemory-policy ${bad.join(', ')}: under memory pressure it will evict queued jobs and leases. Set maxmemory-policy noeviction (in redis.conf, or CONFIG SET maxmemory-policy noeviction)`;
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

async function inspect(client: Redis, target: RedisTarget, where: string): Promise<RedisCheck> {
  const nodes =
    target.kind === 'cluster' ? (client as unknown as Cluster).nodes('master') : [client];
  if (target.kind === 'cluster') {
    const state = infoField(String(await nodes[0]!.call('CLUSTER', 'INFO')), 'cluster_state');
    if (state !== 'ok')
      throw new RedisCheckError(
        'misconfigured',
        where,
        `Redis Cluster at ${where} reports cluster_state:${state}: wait for it to finish a failover, or fix the cluster (redis-cli --cluster check)`,
      );
  }
  const infos = await Promise.all(nodes.map((n) => n.info()));
  const role = infoField(infos[0]!, 'role');
  if (target.kind !== 'cluster' && role !== 'master')
    throw new RedisCheckError(
      'not-master',
      where,
      `Redis at ${where} is a ${role ?? 'read-only'} (a replica), not a master: runwarden must write. Point redis.url at the master, or use a redis-sentinel:// URL that follows it`,
    );
  return {
    where,
    version: infoField(infos[0]!, 'redis_version') ?? '?',
    evictionPolicies: [...new Set(infos.map((i) => infoField(i, 'maxmemory_policy') ?? '?'))],
  };
}

/**
 * Connects once without retrying, logs in, and checks what runwarden needs:
 * a writable master (or a healthy Cluster). Throws a RedisCheckError saying
 * which problem (unreachable, auth refused, not a master, misconfigured).
 */
export async function checkRedis(
  url: string | RedisTarget,
  options: { timeoutMs?: number; prefix?: string } = {},
): Promise<RedisCheck> {
  const target = typeof url === 'string' ? parseRedisUrl(url) : url;
  const where = describeTarget(target);
  const timeoutMs = options.timeoutMs ?? 3_000;
  if (options.prefix !== undefined) checkClusterPrefix(target, options.prefix);
  const client = build(target, {
    lazyConnect: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    connectionName: 'runwarden:check',
  });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => (lastError = err));
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return await Promise.race([
      client.connect().then(() => inspect(client, target, where)),
      deadline,
    ]);
  } catch (err) {
    // "Connection is closed" says less than the error that closed it.
    const closed =
      err instanceof Error && /Connection is closed|None of startup nodes/.test(err.message);
    throw classifyRedisError(closed && lastError ? lastError : err, where);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** Resolves when Redis answers, or throws a RedisCheckError saying where and why not. */
export async function pingRedis(url: string, timeoutMs = 2_000): Promise<void> {
  await checkRedis(url, { timeoutMs });
}

/**
 * The identity of the Redis data set runwarden uses: a random id stored once
 * under `<prefix>:redis-identity`. It follows the data through failovers and
 * restarts, and differs between two Redis servers whatever their addresses.
 */
export async function readRedisIdentity(connection: Redis, prefix: string): Promise<string> {
  const key = `${prefix}:redis-identity`;
  await connection.set(key, randomUUID(), 'NX');
  return (await connection.get(key)) ?? 'unknown';
}

/**
 * Deletes every key under `<prefix>:`: a demo or a test leaves nothing behind
 * on a Redis it shares. SCAN, not KEYS, so a big Redis is not blocked; on a
 * Cluster every master is scanned.
 */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const target = parseRedisUrl(url);
  const client = build(target, { maxRetriesPerRequest: 1, connectionName: 'runwarden:cleanup' });
  client.on('error', () => undefined); // the failing command below says what went wrong
  let deleted = 0;
  try {
    if (target.kind === 'cluster') await new Promise((r) => client.once('ready', r));
    const nodes =
      target.kind === 'cluster' ? (client as unknown as Cluster).nodes('master') : [client];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length === 0) continue;
        // On a Cluster keys of different slots cannot share a DEL: one each, pipelined.
        if (target.kind !== 'cluster') deleted += await client.del(...keys);
        else
          deleted += (await Promise.all(keys.map((k) => client.del(k)))).reduce((a, b) => a + b, 0);
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
  return deleted;
}
