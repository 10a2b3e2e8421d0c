/** `runwarden status [--json]`: what the system is doing, read from Redis. */
import { ALL_QUEUES, QUEUES } from '@runwarden/core';
import type { Command } from 'commander';
import { openAdmin, type Admin } from '../admin.js';
import { loadCliConfig, type CliIo, type GlobalOptions } from '../context.js';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

export interface StatusReport {
  redis: string;
  prefix: string;
  scanner: { holder: string | null; lastScanAt: string | null; lastScanMs: number | null; activeRuns: number | null; lastDetectionLagMs: number | null; eventsEnqueued: number };
  queues: Record<string, Record<string, number>>;
  deadLetters: number;
  alerts: Record<string, number>;
}

const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));

export async function readStatus(admin: Admin, redisLabel: string): Promise<StatusReport> {
  const [scanner, alerts] = await Promise.all([
    admin.redis.hgetall(`${admin.prefix}:scanner:status`),
    admin.redis.hgetall(`${admin.prefix}:alerts:stats`),
  ]);
  const lease = await admin.redis.get(`${admin.prefix}:scanner:lease`);
  const queues: StatusReport['queues'] = {};
  for (const name of ALL_QUEUES) queues[name] = await admin.queues.get(name).getJobCounts(...STATES);
  const dead = queues[QUEUES.deadLetter]!;
  return {
    redis: redisLabel,
    prefix: admin.prefix,
    scanner: {
      holder: lease ? (scanner.holder ?? lease) : null,
      lastScanAt: scanner.lastScanAt ?? null,
      lastScanMs: num(scanner.lastScanMs),
      activeRuns: num(scanner.activeRuns),
      lastDetectionLagMs: num(scanner.lastDetectionLagMs),
      eventsEnqueued: num(scanner.eventsEnqueued) ?? 0,
    },
    queues,
    deadLetters: (dead.waiting ?? 0) + (dead.prioritized ?? 0) + (dead.delayed ?? 0),
    alerts: Object.fromEntries(Object.entries(alerts).map(([k, v]) => [k, Number(v)])),
  };
}

export function formatStatus(s: StatusReport): string {
  const lines = [
    `Redis ${s.redis} (prefix ${s.prefix})`,
    s.scanner.holder
      ? `Scanner: lease held by ${s.scanner.holder}; last scan ${s.scanner.lastScanAt ?? 'never'} (${s.scanner.lastScanMs ?? '?'} ms); monitoring ${s.scanner.activeRuns ?? '?'} active runs; ${s.scanner.eventsEnqueued} events enqueued`
      : 'Scanner: no scanner holds the lease: start one with `runwarden scanner` or `runwarden start`',
    '',
    `${'queue'.padEnd(12)}${['waiting', 'active', 'delayed', 'children', 'completed', 'failed'].map((h) => h.padStart(10)).join('')}`,
  ];
  for (const [name, c] of Object.entries(s.queues)) {
    const cells = [c.waiting! + (c.prioritized ?? 0), c.active, c.delayed, c['waiting-children'], c.completed, c.failed];
    lines.push(`${name.padEnd(12)}${cells.map((n) => String(n ?? 0).padStart(10)).join('')}`);
  }
  lines.push('', s.deadLetters > 0 ? `Dead letters: ${s.deadLetters} — see \`runwarden dlq list\`` : 'Dead letters: none');
  const alertStats = Object.entries(s.alerts).map(([k, v]) => `${k} ${v}`).join(', ');
  lines.push(`Alerts: ${alertStats || 'none sent yet'}`);
  return lines.join('\n');
}

export function registerStatusCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command('status')
    .description('active runs, queue counts, dead letters, lease holder and last scan')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const loaded = loadCliConfig(io, program.opts<GlobalOptions>());
      const admin = await openAdmin(loaded);
      try {
        const { redactUrl } = await import('@runwarden/core');
        const status = await readStatus(admin, redactUrl(loaded.config.redis.url));
        io.stdout.write(`${opts.json ? JSON.stringify(status, null, 2) : formatStatus(status)}\n`);
      } finally {
        await admin.close();
      }
      done(0);
    });
}
