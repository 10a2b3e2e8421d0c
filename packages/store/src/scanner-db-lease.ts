/**
 * The scanner lease, recorded in the database it scans as well as in Redis.
 * Redis arbitrates between scanners that share one Redis; this row stops two
 * scanners attached to different Redis servers (a private redis-server next
 * to a configured one, two teams' configs) from both scanning one database,
 * which would notify every run twice.
 *
 *   claim(): our own row, written less than a ttl ago ──▶ ok (nothing written)
 *            no row, or our own, or same Redis identity ──▶ write heartbeat ──▶ ok
 *            a live row (heartbeat within 3 × ttl) of another Redis ──▶ refused, naming both
 *            a stale row of another Redis ──▶ taken over ──▶ ok
 */
import { readRedisIdentity, type Logger, type RedisConnection } from '@runwarden/core/essentials';
import type { SqliteDb } from './open-db.js';
import { openOrchestrationDb } from './open-db.js';

export interface ScannerDbLeaseOptions {
  /** The orchestration database (the one the scanner scans). */
  file: string;
  /** This scanner's lease token. */
  holder: string;
  /** The Redis data set's identity (core's `readRedisIdentity`). */
  redisIdentity: string;
  /** Where that Redis is, for people (no password). */
  redisLabel: string;
  ttlMs: number;
  /** @defaultValue Date.now */
  now?: () => number;
}

export type DbLeaseClaim =
  | { ok: true; tookOverFrom?: string }
  | { ok: false; holder: string; redisLabel: string; heartbeatAt: string; message: string };

export interface ScannerDbLease {
  claim(): DbLeaseClaim;
  /** Removes our row, so a scanner on another Redis may start at once. */
  release(): void;
  close(): void;
}

export interface ScannerDbLeaseRow {
  holder: string;
  redis_identity: string;
  redis_label: string;
  heartbeat_at: number;
  expires_at: number;
}

const TABLE_SQL = `CREATE TABLE IF NOT EXISTS runwarden_scanner_lease (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  holder TEXT NOT NULL,
  redis_identity TEXT NOT NULL,
  redis_label TEXT NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
)`;

/** The lease row, or undefined when none was ever written (for `runwarden status`). */
export function readScannerDbLease(db: SqliteDb): ScannerDbLeaseRow | undefined {
  const exists = db
    .prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runwarden_scanner_lease'",
    )
    .get();
  if (!exists) return undefined;
  return db.prepare('SELECT * FROM runwarden_scanner_lease WHERE id = 1').get() as
    ScannerDbLeaseRow | undefined;
}

export function createScannerDbLease(options: ScannerDbLeaseOptions): ScannerDbLease {
  const now = options.now ?? Date.now;
  const db = openOrchestrationDb(options.file, { busyTimeoutMs: 2_000 });
  // Created here, not by a numbered migration: it is the lease's own table, read by nothing else that migrates.
  db.exec(TABLE_SQL);
  const read = db.prepare('SELECT * FROM runwarden_scanner_lease WHERE id = 1');
  const write = db.prepare(
    `INSERT INTO runwarden_scanner_lease (id, holder, redis_identity, redis_label, heartbeat_at, expires_at)
     VALUES (1, @holder, @identity, @label, @now, @expires)
     ON CONFLICT (id) DO UPDATE SET holder = @holder, redis_identity = @identity,
       redis_label = @label, heartbeat_at = @now, expires_at = @expires`,
  );
  const remove = db.prepare('DELETE FROM runwarden_scanner_lease WHERE id = 1 AND holder = ?');
  const claim = db.transaction((): DbLeaseClaim => {
    const t = now();
    const row = read.get() as ScannerDbLeaseRow | undefined;
    const foreign =
      row && row.redis_identity !== options.redisIdentity && row.holder !== options.holder;
    if (foreign && row.expires_at > t)
      return {
        ok: false,
        holder: row.holder,
        redisLabel: row.redis_label,
        heartbeatAt: new Date(row.heartbeat_at).toISOString(),
        message: `Scanner ${row.holder} scans ${options.file} through another Redis (${row.redis_label}; last heartbeat ${new Date(row.heartbeat_at).toISOString()}), and this scanner uses ${options.redisLabel}: two would notify every run twice, so this one does not scan. Point both at the same Redis (redis.url / REDIS_URL), or stop the other`,
      };
    write.run({
      holder: options.holder,
      identity: options.redisIdentity,
      label: options.redisLabel,
      now: t,
      expires: t + 3 * options.ttlMs,
    });
    return foreign
      ? { ok: true, tookOverFrom: `${row.holder} (${row.redis_label})` }
      : { ok: true };
  });
  return {
    claim: () => {
      // Our own row, written less than a ttl ago: nothing to write and no write lock to take.
      // Each write is a commit the scanner's change check sees (PRAGMA data_version on its
      // own connection): written at every Redis renewal (each second), it made the scanner
      // rescan the whole database every second while nothing happened.
      const row = read.get() as ScannerDbLeaseRow | undefined;
      if (row?.holder === options.holder && now() - row.heartbeat_at < options.ttlMs)
        return { ok: true };
      return claim.immediate();
    },
    release: () => void remove.run(options.holder),
    close: () => db.close(),
  };
}

export interface DbLeaseGuardOptions {
  redis: RedisConnection;
  /** Queue prefix: the Redis identity is kept under `<prefix>:redis-identity`. */
  prefix: string;
  file: string;
  redisLabel: string;
  holder: string;
  ttlMs: number;
  logger: Logger;
}

export interface DbLeaseGuard {
  /** After the Redis lease is won or renewed: may this scanner scan? Logs a refusal once per holder. */
  allows(): Promise<boolean>;
  /** Why the last `allows()` said no. */
  refusal(): string | undefined;
  /** Closes the database connection, first removing our row when `release`. */
  close(release: boolean): void;
}

/** The database half of the scanner lease, for the scanner's Redis lease loop. */
export function createDbLeaseGuard(options: DbLeaseGuardOptions): DbLeaseGuard {
  let lease: ScannerDbLease | undefined;
  let refused: string | undefined;
  let lastRefusedHolder: string | undefined;
  return {
    async allows() {
      lease ??= createScannerDbLease({
        ...options,
        redisIdentity: await readRedisIdentity(options.redis, options.prefix),
      });
      const result = lease.claim();
      if (result.ok) {
        if (result.tookOverFrom)
          options.logger.warn(
            `Took over the scanner lease in ${options.file} from ${result.tookOverFrom}, whose heartbeat had stopped`,
          );
        refused = lastRefusedHolder = undefined;
        return true;
      }
      refused = result.message;
      if (lastRefusedHolder !== result.holder) options.logger.error(result.message);
      lastRefusedHolder = result.holder;
      return false;
    },
    refusal: () => refused,
    close(release) {
      if (release) lease?.release();
      lease?.close();
    },
  };
}
