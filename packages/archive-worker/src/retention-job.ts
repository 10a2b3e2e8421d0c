/**
 * The periodic retention job, started beside the archive workers when
 * `archive.retention` sets a rule:
 *
 *   every interval: SET NX retention lock (one worker per interval) ─▶ inventory of
 *   <archive>/*.zip and <reports>/*_summary.* ─▶ planRetention ─▶ per run, oldest first:
 *   delete reports, manifest, then the zip ─▶ ledger "retention" ─▶ status hash
 *
 * The zip goes last, so a run left half-deleted by a crash is found again.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  closeAll,
  createRedisConnection,
  formatDuration,
  onceClose,
  type Logger,
  type QueueSet,
  type RunwardenConfig,
  retentionStatusKey,
} from '@runwarden/core';
import type { Redis } from 'ioredis';
import { planRetention, retentionEnabled, type StoredRun } from './retention-plan.js';

export interface RetentionJobDeps {
  config: RunwardenConfig;
  queues: QueueSet;
  redisUrl: string;
  logger: Logger;
  /** @defaultValue Date.now */
  clock?: () => number;
  /** Run every `archive.retention.interval` (first run after 1 s). @defaultValue true */
  periodic?: boolean;
}

export interface RetentionResult {
  deleted: { runId: string; reason: string; bytes: number }[];
  /** Archives and their bytes left after the run. */
  archives: number;
  archiveBytes: number;
}

export interface RetentionJob {
  /** Runs once now (ignoring the lock); for tests and `runOnce`-style use. */
  runOnce(): Promise<RetentionResult>;
  close(): Promise<void>;
}

const lockKey = (prefix: string) => `${prefix}:retention:lock`;
const REPORT = /^(.+)_summary\.(json|html)$/;

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
}

/** Every run with an archive or a report on disk. */
export async function inventory(config: RunwardenConfig): Promise<StoredRun[]> {
  const { archive, reports } = config.paths;
  const runs = new Map<string, StoredRun>();
  const entry = (runId: string) => {
    let r = runs.get(runId);
    if (!r) runs.set(runId, (r = { runId, pipeline: null, archivedAt: 0, bytes: 0, files: [] }));
    return r;
  };
  for (const name of await listDir(archive)) {
    if (name.startsWith('.') || !name.endsWith('.zip')) continue;
    const r = entry(name.slice(0, -4));
    const zip = path.join(archive, name);
    const info = await stat(zip);
    const manifest = await readJson(`${zip}.json`);
    const verified = Date.parse(String(manifest?.verifiedAt ?? ''));
    r.bytes = info.size;
    r.archivedAt = Number.isNaN(verified) ? info.mtimeMs : verified;
    r.files.push(`${zip}.json`, zip);
  }
  for (const name of await listDir(reports)) {
    const m = REPORT.exec(name);
    if (!m || name.startsWith('.')) continue;
    const r = entry(m[1]!);
    const file = path.join(reports, name);
    if (name.endsWith('.json')) r.pipeline = ((await readJson(file))?.pipeline as string) ?? null;
    if (r.archivedAt === 0) r.archivedAt = (await stat(file)).mtimeMs;
    r.files.unshift(file);
  }
  return [...runs.values()];
}

export function createRetentionJob(deps: RetentionJobDeps): RetentionJob {
  const rules = deps.config.archive.retention;
  const clock = deps.clock ?? Date.now;
  const prefix = deps.queues.prefix;
  const log = deps.logger.child({ component: 'retention' });
  // Connected on first use: with no rule set, an archive worker holds no extra connection.
  let connection: Redis | undefined;
  const redis = (): Redis => {
    if (!connection) {
      connection = createRedisConnection(deps.redisUrl, { name: 'runwarden:retention' });
      connection.on('error', (err) =>
        log.warn({ err: err.message }, 'Redis connection problem for retention; retrying'),
      );
    }
    return connection;
  };
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let running: Promise<unknown> = Promise.resolve();

  async function runOnce(): Promise<RetentionResult> {
    const now = clock();
    const stored = await inventory(deps.config);
    const plan = planRetention(stored, rules, now);
    const deleted: RetentionResult['deleted'] = [];
    for (const { run, reason } of plan) {
      for (const file of run.files) await rm(file, { force: true });
      await deps.queues.recordLedger({
        kind: 'retention',
        runId: run.runId,
        pipeline: run.pipeline,
        archivedAt: new Date(run.archivedAt).toISOString(),
        reason,
        bytes: run.bytes,
        files: run.files,
        at: new Date(now).toISOString(),
      });
      log.info(
        { runId: run.runId, reason, bytes: run.bytes },
        `Retention deleted the archive and reports of run ${run.runId} (${reason}, archived ${new Date(run.archivedAt).toISOString()}, ${run.bytes} bytes)`,
      );
      deleted.push({ runId: run.runId, reason, bytes: run.bytes });
    }
    const left = stored.filter((r) => !plan.some((p) => p.run === r) && r.bytes > 0);
    const result = {
      deleted,
      archives: left.length,
      archiveBytes: left.reduce((s, r) => s + r.bytes, 0),
    };
    await redis()
      .multi()
      .hset(retentionStatusKey(prefix), {
        lastRunAt: new Date(now).toISOString(),
        lastDeleted: deleted.length,
        lastFreedBytes: deleted.reduce((s, d) => s + d.bytes, 0),
        archives: result.archives,
        archiveBytes: result.archiveBytes,
      })
      .hincrby(retentionStatusKey(prefix), 'totalDeleted', deleted.length)
      .exec();
    return result;
  }

  async function tick(): Promise<void> {
    // One worker per interval: the lock lives a little less than the interval.
    const got = await redis().set(
      lockKey(prefix),
      String(process.pid),
      'PX',
      Math.max(500, rules.interval - 500),
      'NX',
    );
    if (got) await runOnce();
  }

  function schedule(delay: number): void {
    if (closed) return;
    timer = setTimeout(() => {
      running = tick()
        .catch((err: Error) =>
          log.error(
            { err: err.message },
            `Retention run failed: ${err.message}; trying again in ${formatDuration(rules.interval)}`,
          ),
        )
        .finally(() => schedule(rules.interval));
    }, delay);
    timer.unref();
  }

  if (retentionEnabled(rules) && deps.periodic !== false) {
    log.info(
      `Retention is on: every ${formatDuration(rules.interval)}, never an archive younger than ${formatDuration(rules.minAge)}`,
    );
    schedule(1_000);
  }

  return {
    runOnce: () => {
      const next = running.then(runOnce);
      running = next.catch(() => undefined);
      return next;
    },
    close: onceClose(async () => {
      closed = true;
      clearTimeout(timer);
      await running;
      await closeAll([() => connection?.quit()], 'retention close');
    }),
  };
}
