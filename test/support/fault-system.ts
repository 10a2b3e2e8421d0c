/**
 * runwarden as separate processes for the fault suite, against a
 * redis-server of the test's own (AOF on), so a test may stop, kill or
 * freeze Redis without touching anyone else.
 *
 *   createFaultContext ─▶ own redis-server ─▶ stand-ins ─▶ startFaultSystem ─▶ runwarden.yaml + alerts.yaml (JSON is YAML)
 *   ─▶ start roles (`runwarden scanner`, `runwarden worker archive` …) ─▶ play the pipeline
 *   ─▶ fault ─▶ auditFaultSystem (fault-audit.ts)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import Database from 'better-sqlite3';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  alertsConfigSchema,
  createRedisConnection,
  type AlertsConfig,
  type QueueName,
} from '@runwarden/core';
import { createPipelineWriter, type PipelineWriter } from '@runwarden/store';
import {
  createTestContext,
  type RedisServer,
  startRedisServer,
  type TestContext,
  waitFor,
} from '@runwarden/testing';
import { startRole, writeConfigFiles, type ConfigFiles, type RoleProcess } from './processes.js';

export interface FaultSystemOptions {
  /** Extra top-level YAML for runwarden.yaml (e.g. `archive: { concurrency: 1 }`). */
  configYaml?: string;
  /** `scanner:` settings. @defaultValue polls every 200 ms, lease 1 s, change check 50 ms */
  scanner?: string;
  /** `queues:` section; the default gives every queue 3 attempts, fixed 200 ms backoff. */
  queuesYaml?: string;
  /** Archive folder (absolute or relative to the test folder). @defaultValue .archive */
  archiveDir?: string;
  /** alerts.yaml as an object (written as JSON). */
  alerts: Record<string, unknown>;
}

export interface FaultSystem {
  ctx: TestContext;
  redis: RedisServer;
  files: ConfigFiles;
  database: string;
  worktrees: string;
  archiveDir: string;
  reportsDir: string;
  alerts: AlertsConfig;
  /** The pipeline's own connection to the orchestration database. */
  pipeline: PipelineWriter;
  role(name: string, args: string[], env?: NodeJS.ProcessEnv): RoleProcess;
  /** scanner, archive, report and alert workers, one process each. */
  startAll(): Record<'scanner' | 'archive' | 'report' | 'alert', RoleProcess>;
  /** Resolves with the lease holder once a scanner holds the lease. */
  waitForLease(timeoutMs?: number): Promise<string>;
  /** Writes a worktree for a run; `bytes` adds one file of that many pseudo-random bytes. */
  worktree(runId: string, bytes?: number): void;
  /** Runs seen running (with a first step done). */
  startRuns(runIds: readonly string[]): void;
  /** Completes runs; `failed(runId)` decides the outcome. All in one transaction. */
  completeRuns(runIds: readonly string[], failed?: (runId: string) => boolean): void;
  /** A read-only query on the orchestration database, on a connection of the test's own. */
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[];
  queue(name: QueueName): Queue;
  /** A Redis client on the test's Redis (closed at cleanup). */
  client(): Redis;
}

const DEFAULT_QUEUES = `queues:
  archive: { attempts: 3, backoff: { type: fixed, delay: 200ms } }
  report: { attempts: 3, backoff: { type: fixed, delay: 200ms } }
  alert: { attempts: 3, backoff: { type: fixed, delay: 200ms } }`;

/** A test context whose Redis is a private redis-server (AOF on), stopped at cleanup. */
export interface FaultContext {
  ctx: TestContext;
  redis: RedisServer;
}

/**
 * Registers an afterEach that cleans up the fault context the test made, and
 * returns the function that makes it: each fault test file calls this once.
 */
export function faultContextPerTest(): (name: string) => Promise<FaultContext> {
  let current: FaultContext | undefined;
  afterEach(async () => {
    await current?.ctx.cleanup();
    current = undefined;
  });
  return async (name) => (current = await createFaultContext(name));
}

export async function createFaultContext(name: string): Promise<FaultContext> {
  const ctx = createTestContext(`fault-${name}`);
  const redis = await startRedisServer({ appendonly: true });
  ctx.redisUrl = redis.url;
  ctx.defer(async () => {
    // A test may leave it frozen (SIGSTOP) or stopped: thaw it, then stop it and remove its folder.
    try {
      redis.process.kill('SIGCONT');
    } catch {
      /* already gone */
    }
    await redis.stop();
  });
  return { ctx, redis };
}

/** The system's config, database and helpers in a fault context (roles are started by the test). */
export function startFaultSystem(
  { ctx, redis }: FaultContext,
  options: FaultSystemOptions,
): FaultSystem {
  const database = path.join(ctx.dir, 'orchestration.db');
  const worktrees = path.join(ctx.dir, '.worktrees');
  const archiveDir = path.resolve(ctx.dir, options.archiveDir ?? '.archive');
  const reportsDir = path.join(ctx.dir, 'reports');
  const yaml = `database: ${JSON.stringify(database)}
redis: { prefix: ${JSON.stringify(ctx.prefix)} }
paths: { worktrees: ${JSON.stringify(worktrees)}, archive: ${JSON.stringify(archiveDir)}, reports: ${JSON.stringify(reportsDir)} }
scanner: ${options.scanner ?? '{ pollInterval: 200ms, stallThreshold: 1h, changeCheckInterval: 50ms, leaseTtl: 1s }'}
${options.queuesYaml ?? DEFAULT_QUEUES}
${options.configYaml ?? ''}`;
  const files = writeConfigFiles(ctx, yaml, JSON.stringify(options.alerts, null, 2));
  const alerts = alertsConfigSchema.parse(options.alerts);
  const pipeline = createPipelineWriter(database);
  ctx.defer(() => pipeline.close());
  const queues = new Map<QueueName, Queue>();
  const clients: Redis[] = [];
  ctx.defer(async () => {
    for (const q of queues.values()) await q.close().catch(() => undefined);
    for (const c of clients) c.disconnect();
  });

  const system: FaultSystem = {
    ctx,
    redis,
    files,
    database,
    worktrees,
    archiveDir,
    reportsDir,
    alerts,
    pipeline,
    role: (name, args, env = {}) => startRole(ctx, name, args, files, env),
    startAll: () => ({
      archive: system.role('archive', ['worker', 'archive']),
      report: system.role('report', ['worker', 'report']),
      alert: system.role('alert', ['worker', 'alert']),
      scanner: system.role('scanner', ['scanner']),
    }),
    async waitForLease(timeoutMs = 60_000) {
      const client = system.client();
      return waitFor(
        () => client.get(`${ctx.prefix}:scanner:lease`),
        'a scanner to hold the lease',
        timeoutMs,
        100,
      );
    },
    worktree(runId, bytes = 0) {
      const dir = path.join(worktrees, runId);
      mkdirSync(path.join(dir, 'out'), { recursive: true });
      writeFileSync(path.join(dir, 'params.json'), `{"run":${JSON.stringify(runId)}}\n`);
      writeFileSync(path.join(dir, 'out', 'metrics.csv'), `epoch,loss\n${'1,0.5\n'.repeat(200)}`);
      if (bytes > 0) writeFileSync(path.join(dir, 'out', 'weights.bin'), pseudoRandomBytes(bytes));
    },
    startRuns(runIds) {
      pipeline.db.transaction(() => {
        for (const runId of runIds) {
          pipeline.run({ runId, pipeline: 'etl', state: 'running' });
          pipeline.step({ stepId: `${runId}.a`, runId, name: 'a', state: 'succeeded' });
          pipeline.step({ stepId: `${runId}.b`, runId, name: 'b', state: 'running' });
        }
      })();
    },
    completeRuns(runIds, failed = () => false) {
      pipeline.db.transaction(() => {
        for (const runId of runIds) {
          const bad = failed(runId);
          pipeline.run({ runId, pipeline: 'etl', state: 'running' });
          pipeline.step({ stepId: `${runId}.a`, runId, name: 'a', state: 'succeeded' });
          pipeline.step({
            stepId: `${runId}.b`,
            runId,
            name: 'b',
            state: bad ? 'failed' : 'succeeded',
            error: bad ? 'exit status 1' : null,
          });
          pipeline.run({ runId, pipeline: 'etl', state: bad ? 'failed' : 'succeeded' });
        }
      })();
    },
    query(sql, ...params) {
      const db = new Database(database, { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).all(...params) as never[];
      } finally {
        db.close();
      }
    },
    queue(name) {
      let q = queues.get(name);
      if (!q) {
        // Through core's connection factory, so a Cluster or Sentinel URL works too.
        const connection = createRedisConnection(ctx.redisUrl, { name: 'test:audit' });
        clients.push(connection);
        q = new Queue(name, { connection, prefix: ctx.prefix });
        queues.set(name, q);
      }
      return q;
    },
    client() {
      const c = createRedisConnection(ctx.redisUrl, { name: 'test:client' });
      clients.push(c);
      return c;
    },
  };
  return system;
}

/** Bytes that deflate cannot shrink, made fast (xorshift), so zipping them takes real work. */
function pseudoRandomBytes(n: number): Buffer {
  const buf = Buffer.allocUnsafe(n - (n % 4));
  let x = 0x9e3779b9;
  for (let i = 0; i < buf.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeUInt32LE(x >>> 0, i);
  }
  return buf;
}

/**
 * The rules most fault tests use, all to one webhook stand-in: every completion
 * (no throttle), failures throttled per pipeline (the first sent, the rest in a
 * digest when the window ends), and archive failures.
 */
export function webhookAlerts(url: string, failureThrottle = '3s'): Record<string, unknown> {
  return {
    channels: { webhook: { url: `${url}/hook`, timeout: '5s' } },
    rules: [
      {
        name: 'run_failure',
        match: { type: 'run_completed', outcome: 'failed' },
        severity: 'critical',
        throttle: failureThrottle,
        groupBy: ['pipeline'],
        channels: ['webhook'],
      },
      {
        name: 'run_completed',
        match: { type: 'run_completed' },
        severity: 'low',
        channels: ['webhook'],
      },
      {
        name: 'archival_failure',
        match: { type: 'archival_failed' },
        severity: 'high',
        channels: ['webhook'],
      },
    ],
  };
}
