/**
 * runwarden as separate `runwarden` processes for the pipeline benchmark and
 * the soak, the way compose runs it: a private redis-server, a temp folder
 * with the orchestration database, worktrees, archives and reports, one
 * config file, and a process per role. Reuses the e2e tests' role launcher.
 *
 *   startBenchSystem ─▶ redis-server (free port) ─▶ runwarden.yaml + alerts.yaml
 *                    ─▶ scanner │ worker archive (×n) │ worker report │ worker alert
 *                       (oneProcess: `runwarden start --no-board`, every role in one process)
 *   memory() ◀── /proc/<pid>/status (VmRSS, VmHWM) of every role and of redis-server
 *   close()  ─▶ SIGTERM every role (SIGKILL after a grace period) ─▶ stop Redis ─▶ rm -r
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ALL_QUEUES, type AlertStat, type QueueName } from '@runwarden/core';
import { readAlertStats } from '@runwarden/alerts';
import { createPipelineWriter } from '@runwarden/store';
import { startRole, writeConfigFiles, type RoleProcess } from '../test/support/processes.js';
import { type RedisServer, startRedisServer } from '@runwarden/testing';

export interface BenchSystemOptions {
  /** Names the temp folder. */
  name: string;
  /** runwarden.yaml after `database`, `redis` and `paths` (scanner, queues, archive …). */
  configYaml: string;
  /** alerts.yaml; the Slack webhook URL also goes in through SLACK_WEBHOOK_URL. */
  alertsYaml: string;
  slackUrl: string;
  /** @defaultValue 1 */
  archiveWorkers?: number;
  /** Every role in one `runwarden start --no-board` process instead of one process per role. */
  oneProcess?: boolean;
}

export interface ProcessMemory {
  name: string;
  pid: number;
  rssMb: number;
  /** The anonymous part of RSS (heaps, not mapped files): where a leak shows. */
  anonMb: number;
  /** Peak RSS so far (the kernel's high-water mark). */
  hwmMb: number;
}

interface LedgerCounts {
  archives: number;
  reports: number;
  alertRows: number;
}

export interface BenchSystem {
  readonly dir: string;
  readonly dbFile: string;
  readonly worktrees: string;
  readonly redis: RedisServer;
  readonly prefix: string;
  readonly roles: RoleProcess[];
  memory(): ProcessMemory[];
  /** Jobs waiting (incl. prioritized) + active per queue. */
  backlog(): Promise<Record<QueueName, number>>;
  deadLetters(): Promise<number>;
  ledger(): LedgerCounts;
  /** `SELECT count(*) …` on the orchestration database, read-only. */
  countRows(sql: string, ...params: unknown[]): number;
  alertStats(): Promise<Record<AlertStat, number>>;
  /** Exit codes after close(), by role name. */
  readonly exitCodes: Record<string, number | string | null>;
  close(): Promise<void>;
}

/** VmRSS, RssAnon and VmHWM of a live process, in MB; undefined when it is gone. */
function readProcessMemory(
  pid: number,
): { rssMb: number; anonMb: number; hwmMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, anonMb: kb('RssAnon') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A read-only connection to the orchestration database, once the scanner has
 * baselined it: runs already finished at its first scan are left as history.
 */
export async function openBaselinedReader(
  dbFile: string,
  timeoutMs = 60_000,
): Promise<Database.Database> {
  const reader = new Database(dbFile, { readonly: true, fileMustExist: true });
  reader.pragma('busy_timeout = 5000');
  try {
    await waitUntil(
      () => {
        try {
          return (
            reader
              .prepare("SELECT 1 FROM runwarden_scanner_state WHERE key = 'baseline_at'")
              .get() !== undefined
          );
        } catch {
          return false; // the scanner has not run its migrations yet
        }
      },
      'the scanner to baseline the database',
      timeoutMs,
    );
    return reader;
  } catch (err) {
    reader.close();
    throw err;
  }
}

export async function startBenchSystem(options: BenchSystemOptions): Promise<BenchSystem> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `runwarden-bench-${options.name}-`));
  const cleanups: (() => unknown)[] = [];
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  let redis: RedisServer | undefined;
  try {
    redis = await startRedisServer();
    const ctx = {
      redisUrl: redis.url,
      prefix,
      dir,
      defer: (step: () => unknown) => cleanups.push(step),
      cleanup: async () => undefined,
    };
    const dbFile = path.join(dir, 'orchestration.db');
    createPipelineWriter(dbFile).close();
    const files = writeConfigFiles(
      ctx,
      `database: ${JSON.stringify(dbFile)}\nredis: { prefix: ${JSON.stringify(prefix)} }\npaths: { worktrees: .worktrees, archive: .archive, reports: reports }\nlog: { level: warn }\n${options.configYaml}`,
      options.alertsYaml,
    );
    // Only the stand-in: an outer SLACK_WEBHOOK_URL or SMTP host must never receive benchmark traffic.
    const env = {
      SLACK_WEBHOOK_URL: options.slackUrl,
      SMTP_HOST: '',
      ALERT_WEBHOOK_URL: '',
      BOARD_USER: '',
      BOARD_PASSWORD: '',
    };
    const roles = options.oneProcess
      ? [startRole(ctx, 'runwarden start', ['start', '--no-board'], files, env)]
      : [
          startRole(ctx, 'scanner', ['scanner'], files, env),
          ...Array.from({ length: options.archiveWorkers ?? 1 }, (_, i) =>
            startRole(ctx, `archive-${i + 1}`, ['worker', 'archive'], files, env),
          ),
          startRole(ctx, 'report', ['worker', 'report'], files, env),
          startRole(ctx, 'alert', ['worker', 'alert'], files, env),
        ];
    for (const role of roles) {
      await waitUntil(
        () => {
          if (role.child.exitCode !== null)
            throw new Error(`${role.name} exited with ${role.child.exitCode}:\n${role.output()}`);
          return role.output().includes('runwarden is running');
        },
        `${role.name} to start`,
        120_000,
      );
    }
    const reader = await openBaselinedReader(dbFile);
    cleanups.push(() => reader.close());
    const count = (table: string) =>
      (reader.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const connection = { url: redis.url };
    const queues = ALL_QUEUES.map((name) => new Queue(name, { connection, prefix }));
    cleanups.push(() => Promise.all(queues.map((q) => q.close())));
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 2 });
    cleanups.push(() => admin.disconnect());
    const exitCodes: Record<string, number | string | null> = {};
    const server = redis;
    let closed: Promise<void> | undefined;
    return {
      dir,
      dbFile,
      worktrees: path.join(dir, '.worktrees'),
      redis: server,
      prefix,
      roles,
      exitCodes,
      memory() {
        const procs = [
          ...roles.map((r) => ({ name: r.name, pid: r.child.pid! })),
          { name: 'redis-server', pid: server.process.pid! },
        ];
        return procs.flatMap((p) => {
          const m = readProcessMemory(p.pid);
          return m ? [{ ...p, ...m }] : [];
        });
      },
      async backlog() {
        const counts = await Promise.all(
          queues.map((q) => q.getJobCounts('waiting', 'prioritized', 'active')),
        );
        return Object.fromEntries(
          queues.map((q, i) => [q.name, Object.values(counts[i]!).reduce((a, b) => a + b, 0)]),
        ) as Record<QueueName, number>;
      },
      async deadLetters() {
        const dlq = queues.find((q) => q.name === 'dead-letter')!;
        const c = await dlq.getJobCounts(
          'waiting',
          'prioritized',
          'active',
          'delayed',
          'completed',
          'failed',
        );
        return Object.values(c).reduce((a, b) => a + b, 0);
      },
      countRows: (sql, ...params) =>
        (reader
          .prepare(sql)
          .pluck()
          .get(...params) as number) ?? 0,
      ledger: () => ({
        archives: count('runwarden_archives'),
        reports: count('runwarden_reports'),
        alertRows: count('runwarden_alerts'),
      }),
      alertStats: () => readAlertStats(admin, prefix),
      close() {
        closed ??= (async () => {
          await Promise.all(
            roles.map(async (role) => {
              const timer = setTimeout(() => void role.stop('SIGKILL'), 20_000);
              exitCodes[role.name] = await role.stop('SIGTERM');
              clearTimeout(timer);
            }),
          );
          for (const step of cleanups.reverse()) {
            try {
              await step();
            } catch (err) {
              console.error('bench cleanup step failed:', err);
            }
          }
          await server.stop();
          rmSync(dir, { recursive: true, force: true });
        })();
        return closed;
      },
    };
  } catch (err) {
    for (const step of cleanups.reverse()) await Promise.resolve(step()).catch(() => undefined);
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
