/** `runwarden status [--json]`: what the system is doing, read from Redis. */
import {
  alertStatsKey,
  ALL_QUEUES,
  QUEUES,
  redactUrl,
  scannerLeaseKey,
  scannerStatusKey,
} from '@runwarden/core';
import { retentionStatusKey } from '@runwarden/archive-worker';
import { parseScannerStatus, type ScannerStatus } from '@runwarden/store';
import type { Command } from 'commander';
import { openAdmin, type Admin } from '../admin.js';
import { loadCliConfig, type CliIo, type GlobalOptions } from '../context.js';
import { formatProgress } from '../progress-bar.js';
import { databaseWaitKey, type DatabaseWait } from '../wait-for-database.js';

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

export async function readStatus(admin: Admin, redisLabel: string): Promise<StatusReport> {
  const [scanner, alerts, waits] = await Promise.all([
    admin.redis.hgetall(scannerStatusKey(admin.prefix)),
    admin.redis.hgetall(alertStatsKey(admin.prefix)),
    admin.redis.hgetall(databaseWaitKey(admin.prefix)),
  ]);
  const lease = await admin.redis.get(scannerLeaseKey(admin.prefix));
  const status = parseScannerStatus(scanner);
  const queues: StatusReport['queues'] = {};
  for (const name of ALL_QUEUES)
    queues[name] = await admin.queues.get(name).getJobCounts(...STATES);
  const dead = queues[QUEUES.deadLetter]!;
  const active = await admin.queues.get(QUEUES.archive).getActive(0, 49);
  const archiving = active.map((job) => {
    const p = (typeof job.progress === 'object' ? job.progress : {}) as {
      bytesDone?: number;
      bytesTotal?: number;
    };
    return {
      runId: String((job.data as { runId?: string }).runId ?? ''),
      jobId: String(job.id),
      bytesDone: p.bytesDone ?? 0,
      bytesTotal: p.bytesTotal ?? 0,
    };
  });
  return {
    redis: redisLabel,
    prefix: admin.prefix,
    scanner: { ...status, holder: lease ? (status.holder ?? lease) : null },
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
      const admin = await openAdmin(loaded, io.env);
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
