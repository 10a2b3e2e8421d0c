/**
 * How a process reports Redis going away: quietly and boundedly.
 *
 *   connection 'error' (every ~2 s while down) ──▶ redisHealth.report
 *     first one ──▶ one warning: "Redis at X is unreachable …"
 *     then      ──▶ at most one line per 30 s: "… still unreachable after N s"
 *   every watched connection 'ready' again ──▶ one line: "Redis at X is back after N s"
 *
 * Every connection made by `createRedisConnection` is watched: its 'error'
 * events stop here instead of reaching other listeners (BullMQ would repeat
 * each as a Worker or Queue error), so a process logs an outage once, not
 * ten times a second. Libraries' console warnings (BullMQ's eviction-policy
 * notice) are routed into the JSON log by `routeConsoleToLogger`.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redactSecrets } from './redis-url.js';

/** How often a continuing outage is mentioned again. */
export const OUTAGE_REPEAT_MS = 30_000;
const RECOVERY_SETTLE_MS = 1_000;

const CONNECTION_ERROR =
  /ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|EPIPE|Connection is closed|Stream isn't writeable|sentinels are unreachable|refresh slots cache|startup nodes|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|LOADING|READONLY|max retries per request|Connection closed|Socket closed/i;

/** True for errors that mean "Redis cannot be reached (now)", not "this command was wrong". */
export function isRedisConnectionError(err: unknown): boolean {
  const e = err as { message?: string; code?: string } | undefined;
  return CONNECTION_ERROR.test(`${e?.code ?? ''} ${e?.message ?? String(err)}`);
}

function reasonOf(err: unknown): string {
  const text = redactSecrets((err as Error)?.message ?? String(err)).split('\n')[0]!;
  // ioredis says this when every Sentinel answered but none named a master it could reach.
  if (/All sentinels are unreachable/.test(text))
    return 'no Sentinel named a master that answered (the master may be failing over)';
  return text;
}

export class RedisHealth {
  private logger: Logger | undefined;
  private since: number | undefined;
  private lastLineAt = 0;
  private lastErrorAt = 0;
  private recoveryCheck: NodeJS.Timeout | undefined;
  private where = 'Redis';
  private readonly watched = new Set<Redis>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Where outage lines go; until set, outages are only tracked. */
  useLogger(logger: Logger): void {
    this.logger = logger;
  }

  /** When Redis became unreachable, or undefined while it answers. */
  downSince(): Date | undefined {
    return this.since === undefined ? undefined : new Date(this.since);
  }

  watch(connection: Redis, where: string): void {
    this.where = where;
    this.watched.add(connection);
    const emit = connection.emit.bind(connection) as (
      event: string | symbol,
      ...args: unknown[]
    ) => boolean;
    connection.on('error', () => undefined); // so ioredis never prints "Unhandled error event"
    connection.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event === 'error') {
        this.report(args[0], where, connection.options?.connectionName);
        return true;
      }
      if (event === 'ready') this.ready();
      if (event === 'end') this.watched.delete(connection);
      return emit(event, ...args);
    }) as Redis['emit'];
  }

  /** Records a failure to reach Redis; logs it when the outage is new or 30 s have passed. */
  report(err: unknown, where = this.where, connection?: string): void {
    const now = this.now();
    this.lastErrorAt = now;
    const reason = reasonOf(err);
    if (this.since === undefined) {
      this.since = now;
      this.lastLineAt = now;
      this.logger?.warn(
        { redis: where, err: reason, connection },
        `Redis at ${where} is unreachable (${reason}); retrying every 2 s, and carrying on when it is back. Check that Redis is running and redis.url is right`,
      );
    } else if (now - this.lastLineAt >= OUTAGE_REPEAT_MS) {
      this.lastLineAt = now;
      const seconds = Math.round((now - this.since) / 1000);
      this.logger?.warn(
        { redis: where, downSeconds: seconds, err: reason },
        `Redis at ${where} still unreachable after ${seconds} s (${reason})`,
      );
    }
  }

  /**
   * Recovery is declared a second after a connection is ready again, when no
   * error came meanwhile and every watched connection is ready: connections
   * notice a dead Redis one by one, so one 'ready' alone proves little.
   */
  private ready(): void {
    if (this.since === undefined || this.recoveryCheck) return;
    this.recoveryCheck = setTimeout(() => {
      this.recoveryCheck = undefined;
      this.recover();
    }, RECOVERY_SETTLE_MS);
    this.recoveryCheck.unref();
  }

  private recover(): void {
    if (this.since === undefined) return;
    if (this.now() - this.lastErrorAt < RECOVERY_SETTLE_MS) return this.ready();
    for (const c of this.watched) if (c.status !== 'ready') return;
    const seconds = Math.round((this.now() - this.since) / 1000);
    this.since = undefined;
    this.logger?.info(
      { redis: this.where, downSeconds: seconds },
      `Redis at ${this.where} is back after ${seconds} s`,
    );
  }
}

/** The process's one view of Redis health, fed by every connection it makes. */
export const redisHealth = new RedisHealth();

/**
 * console.warn/error from libraries (BullMQ prints its eviction-policy and
 * version notices there) become JSON log lines, so stderr holds only JSON.
 */
export function routeConsoleToLogger(logger: Logger): void {
  const line = (args: unknown[]) =>
    redactSecrets(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '))
      .replace(/\s+/g, ' ')
      .trim();
  console.warn = (...args: unknown[]) => logger.warn({ source: 'console' }, line(args));
  console.error = (...args: unknown[]) => logger.error({ source: 'console' }, line(args));
}
