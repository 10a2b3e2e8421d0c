/**
 * A whole runwarden in one test: its own database, folders, queue prefix and
 * config, with the roles started in-process through the CLI's runtime.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import {
  alertsConfigSchema,
  createLogger,
  runwardenConfigSchema,
  type AlertsConfig,
  type RunwardenConfig,
} from '@runwarden/core';
import { createPipelineWriter, type PipelineWriter } from '@runwarden/store';
import { startRuntime, type Role, type Runtime } from '@runwarden/cli';
import type { TestContext } from '@runwarden/testing';

export interface TestSystem {
  config: RunwardenConfig;
  alerts: AlertsConfig;
  pipeline: PipelineWriter;
  runtime: Runtime;
  /** Everything the console channel printed. */
  console(): string;
  /** Writes a few files into `.worktrees/<runId>/`. */
  worktree(runId: string, files?: Record<string, string>): string;
  /** Rows of a runwarden_* table for a run, read on a connection of the test's own. */
  rows(
    table: 'runwarden_events' | 'runwarden_archives' | 'runwarden_reports' | 'runwarden_alerts',
    runId: string,
  ): Record<string, unknown>[];
}

export interface TestSystemOptions {
  roles?: Role[];
  config?: Record<string, unknown>;
  alerts?: Record<string, unknown>;
  /** With the `board` role: serve it without credentials (`--open`). */
  boardOpen?: boolean;
}

export function testConfig(
  ctx: TestContext,
  overrides: Record<string, unknown> = {},
): RunwardenConfig {
  return runwardenConfigSchema.parse({
    database: path.join(ctx.dir, 'orchestration.db'),
    redis: { url: ctx.redisUrl, prefix: ctx.prefix },
    paths: {
      worktrees: path.join(ctx.dir, '.worktrees'),
      archive: path.join(ctx.dir, '.archive'),
      reports: path.join(ctx.dir, 'reports'),
    },
    scanner: {
      pollInterval: '200ms',
      stallThreshold: '1s',
      changeCheckInterval: '50ms',
      leaseTtl: '1s',
    },
    queues: {
      archive: { attempts: 2, backoff: { type: 'fixed', delay: '100ms' } },
      report: { attempts: 2, backoff: { type: 'fixed', delay: '100ms' } },
      alert: { attempts: 2, backoff: { type: 'fixed', delay: '100ms' } },
    },
    ...overrides,
  });
}

export const CONSOLE_RULES = {
  channels: { console: { color: 'never' } },
  rules: [
    {
      name: 'run_failure',
      match: { type: 'run_completed', outcome: 'failed' },
      severity: 'critical',
      throttle: '15m',
      groupBy: ['pipeline'],
      channels: ['console'],
    },
    {
      name: 'step_failure',
      match: { type: 'step_failed' },
      severity: 'medium',
      throttle: '30m',
      groupBy: ['pipeline'],
      channels: ['console'],
    },
    {
      name: 'run_completed',
      match: { type: 'run_completed' },
      severity: 'low',
      channels: ['console'],
    },
  ],
};

export async function startTestSystem(
  ctx: TestContext,
  options: TestSystemOptions = {},
): Promise<TestSystem> {
  const config = testConfig(ctx, options.config);
  const alerts = alertsConfigSchema.parse(options.alerts ?? CONSOLE_RULES);
  const pipeline = createPipelineWriter(config.database);
  ctx.defer(() => pipeline.close());
  const out = new PassThrough();
  let printed = '';
  out.on('data', (d) => (printed += String(d)));
  const runtime = await startRuntime({
    config,
    alerts,
    redisUrl: ctx.redisUrl,
    logger: createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }),
    roles: options.roles ?? ['scanner', 'archive', 'report', 'alert'],
    consoleOut: out,
    boardOpen: options.boardOpen,
  });
  ctx.defer(() => runtime.close());
  return {
    config,
    alerts,
    pipeline,
    runtime,
    console: () => printed,
    worktree(
      runId,
      files = { 'params.json': '{"lr":0.01}\n', 'out/metrics.csv': 'epoch,loss\n1,0.5\n2,0.25\n' },
    ) {
      const dir = path.join(config.paths.worktrees, runId);
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), text);
      }
      return dir;
    },
    rows(table, runId) {
      const db = new Database(config.database, { readonly: true });
      try {
        return db.prepare(`SELECT * FROM ${table} WHERE run_id = ?`).all(runId) as Record<
          string,
          unknown
        >[];
      } finally {
        db.close();
      }
    },
  };
}

/** `unzip -t` on an archive: throws with unzip's output when any entry is bad. */
export function unzipTest(file: string): string {
  return execFileSync('unzip', ['-t', file], { encoding: 'utf8' });
}
