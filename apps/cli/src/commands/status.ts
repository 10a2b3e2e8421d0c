/** `runwarden status [--json]`: what the system is doing, read from Redis. */
import {
  alertStatsKey,
  ALL_QUEUES,
  parseArchiveProgress,
  parseScannerStatus,
  QUEUES,
  redactUrl,
  retentionStatusKey,
  parseLeaseHolder,
  scannerLeaseKey,
  scannerStatusKey,
  type ScannerStatus,
} from '@runwarden/core/essentials';
import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { openAdminRedis, type AdminRedis } from '../admin.js';
import { loadCliConfig, type CliIo, type GlobalOptions } from '../context.js';
import { formatProgress } from '../progress-bar.js';
import { databaseWaitKey, type DatabaseWait } from '../wait-for-database.js';
import { RedisUnusableError } from '../redis-bootstrap.js';

const STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
] as const;

export interface StatusReport {
  redis: string;
  prefix: string;
  scanner: ScannerStatus;
  /** Scanners started before the pipeline's database exists, waiting for it (instance → wait). */
  waitingForDatabase: Record<string, DatabaseWait>;
  queues: Record<string, Record<string, number>>;
  deadLetters: number;
  alerts: Record<string, number>;
  /** Archive jobs being written now, with their progress. */
  archiving: { runId: string; jobId: string; bytesDone: number; bytesTotal: number }[];
  /** The retention job's last run (`archive.retention`); empty when it never ran. */
  retention: Record<string, string>;
}

/** A queue's BullMQ key for one state (BullMQ's layout: `<prefix>:<queue>:<state>`). */
const queueKey = (prefix: string, queue: string, state: string) => `${prefix}:${queue}:${state}`;

/**
 * The job counts of one queue, read from BullMQ's keys directly (what
 * `Queue.getJobCounts` reads: LLEN of the lists, ZCARD of the sorted sets),
 * so that status, which the healthcheck runs every 30 s, never loads BullMQ.
 */
async function jobCounts(redis: Redis, prefix: string, queue: string) {
  const counts = await Promise.all(
    STATES.map((state) =>
      state === 'waiting' || state === 'active'
        ? redis.llen(queueKey(prefix, queue, state === 'waiting' ? 'wait' : state))
        : redis.zcard(queueKey(prefix, queue, state)),
    ),
  );
  return Object.fromEntries(STATES.map((state, i) => [state, counts[i]!]));
}

/** Archive jobs being processed now (up to 50), with their progress. */
async function archivingNow(redis: Redis, prefix: string): Promise<StatusReport['archiving']> {
  const ids = await redis.lrange(queueKey(prefix, QUEUES.archive, 'active'), 0, 49);
  const jobs = await Promise.all(
    ids.map((id) => redis.hmget(queueKey(prefix, QUEUES.archive, id), 'data', 'progress')),
  );
  return ids.map((jobId, i) => {
    const [data, progress] = jobs[i]!;
    const { bytesDone, bytesTotal } = parseArchiveProgress(progress);
    const d = parseJson(data) as { runId?: unknown } | undefined;
    return { runId: String(d?.runId ?? ''), jobId, bytesDone, bytesTotal };
  });
}

function parseJson(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export async function readStatus(admin: AdminRedis, redisLabel: string): Promise<StatusReport> {
  const [scanner, alerts, waits] = await Promise.all([
    admin.redis.hgetall(scannerStatusKey(admin.prefix)),
    admin.redis.hgetall(alertStatsKey(admin.prefix)),
    admin.redis.hgetall(databaseWaitKey(admin.prefix)),
  ]);
  const lease = await admin.redis.get(scannerLeaseKey(admin.prefix));
  const status = parseScannerStatus(scanner);
  const queues: StatusReport['queues'] = {};
  for (const name of ALL_QUEUES) queues[name] = await jobCounts(admin.redis, admin.prefix, name);
  const dead = queues[QUEUES.deadLetter]!;
  const archiving = await archivingNow(admin.redis, admin.prefix);
  return {
    redis: redisLabel,
    prefix: admin.prefix,
    scanner: { ...status, holder: parseLeaseHolder(lease) },
    waitingForDatabase: Object.fromEntries(
      Object.entries(waits).map(([instance, json]) => [instance, JSON.parse(json) as DatabaseWait]),
    ),
    queues,
    deadLetters: (dead.waiting ?? 0) + (dead.prioritized ?? 0) + (dead.delayed ?? 0),
    alerts: Object.fromEntries(Object.entries(alerts).map(([k, v]) => [k, Number(v)])),
    archiving,
    retention: await admin.redis.hgetall(retentionStatusKey(admin.prefix)),
  };
}

const mib = (bytes: string | undefined) => `${(Number(bytes ?? 0) / 1024 / 1024).toFixed(1)} MiB`;

function formatRetention(r: Record<string, string>): string {
  if (!r.lastRunAt) return 'Retention: has not run (set archive.retention to delete old archives)';
  return `Retention: last run ${r.lastRunAt} deleted ${r.lastDeleted} archive(s) (${mib(r.lastFreedBytes)}); ${r.archives} archive(s) kept (${mib(r.archiveBytes)}); ${r.totalDeleted ?? 0} deleted in all`;
}

export function formatStatus(s: StatusReport, tty = false): string {
  const lines = [
    `Redis ${s.redis} (prefix ${s.prefix})`,
    ...Object.values(s.waitingForDatabase)
      .slice(0, 1)
      .map(
        (w) =>
          `Scanner: waiting for database ${w.database} since ${w.since} (${Object.keys(s.waitingForDatabase).length} scanner(s)): ${w.reason}`,
      ),
    s.scanner.holder
      ? `Scanner: lease held by ${s.scanner.holder}; last scan ${s.scanner.lastScanAt ?? 'never'} (${s.scanner.lastScanMs ?? '?'} ms); monitoring ${s.scanner.activeRuns ?? '?'} active runs; ${s.scanner.eventsEnqueued} events enqueued`
      : 'Scanner: no scanner holds the lease: start one with `runwarden scanner` or `runwarden start`',
    ...(s.scanner.skippedRowsText
      ? [
          `Scanner: ${s.scanner.skippedRowsText} (the scanner's log names each; fix them in the pipeline)`,
        ]
      : []),
    ...(s.scanner.blindSince
      ? [
          `Scanner: BLIND since ${s.scanner.blindSince}: ${s.scanner.blindReason ?? 'no scan succeeded'}; nothing is detected until this is fixed`,
        ]
      : []),
    ...(s.scanner.replicaWaitSince
      ? [
          `Scanner: events wait in the outbox since ${s.scanner.replicaWaitSince}: no Redis replica acknowledges them (a failover would lose them); check the replica's link (INFO replication)`,
        ]
      : []),
    '',
    `${'queue'.padEnd(12)}${['waiting', 'active', 'delayed', 'children', 'completed', 'failed'].map((h) => h.padStart(10)).join('')}`,
  ];
  for (const [name, c] of Object.entries(s.queues)) {
    const cells = [
      c.waiting! + (c.prioritized ?? 0),
      c.active,
      c.delayed,
      c['waiting-children'],
      c.completed,
      c.failed,
    ];
    lines.push(`${name.padEnd(12)}${cells.map((n) => String(n ?? 0).padStart(10)).join('')}`);
  }
  if (s.archiving.length > 0) {
    lines.push('', 'Archiving now:');
    for (const a of s.archiving)
      lines.push(
        `  ${a.runId.padEnd(24)} ${formatProgress({ done: a.bytesDone, total: a.bytesTotal }, tty)}`,
      );
  }
  lines.push(
    '',
    s.deadLetters > 0
      ? `Dead letters: ${s.deadLetters} — see \`runwarden dlq list\``
      : 'Dead letters: none',
  );
  const alertStats = Object.entries(s.alerts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  lines.push(`Alerts: ${alertStats || 'none sent yet'}`);
  lines.push(formatRetention(s.retention));
  return lines.join('\n');
}

/**
 * "Redis unreachable since …": the scanner heartbeats its lease into the
 * database through Redis, so its last heartbeat bounds when Redis went away.
 */
async function withOutageSince(err: unknown, database: string): Promise<unknown> {
  if (!(err instanceof RedisUnusableError) || err.problem !== 'unreachable') return err;
  let row;
  try {
    // Loaded here only: status itself (the healthcheck) never opens SQLite.
    const { openOrchestrationDb, readScannerDbLease } = await import('@runwarden/store');
    const db = openOrchestrationDb(database, { readonly: true });
    try {
      row = readScannerDbLease(db);
    } finally {
      db.close();
    }
  } catch {
    return err; // no database to ask: the Redis error alone says enough
  }
  if (!row) return err;
  const since = new Date(row.heartbeat_at).toISOString();
  return new RedisUnusableError(
    `Redis unreachable since ${since} or earlier (the scanner ${row.holder} last renewed its lease through it then). ${err.message}`,
    err.problem,
  );
}

export function registerStatusCommand(
  program: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  program
    .command('status')
    .description('active runs, queue counts, dead letters, lease holder and last scan')
    .option('--json', 'print JSON')
    .option('--watch', 'refresh every second until Ctrl+C (archive progress as bars on a terminal)')
    .action(async (opts: { json?: boolean; watch?: boolean }) => {
      const loaded = loadCliConfig(io, program.opts<GlobalOptions>());
      const admin = await openAdminRedis(loaded, io.env).catch(async (err: unknown) => {
        throw await withOutageSince(err, loaded.config.database);
      });
      const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
      let stop = false;
      const onSignal = () => (stop = true);
      process.once('SIGINT', onSignal);
      try {
        do {
          const status = await readStatus(admin, redactUrl(loaded.config.redis.url));
          const text = opts.json ? JSON.stringify(status, null, 2) : formatStatus(status, tty);
          io.stdout.write(`${opts.watch && tty ? '\x1b[2J\x1b[H' : ''}${text}\n`);
          if (opts.watch) await new Promise((r) => setTimeout(r, 1_000));
        } while (opts.watch && !stop);
      } finally {
        process.off('SIGINT', onSignal);
        await admin.close();
      }
      done(0);
    });
}
