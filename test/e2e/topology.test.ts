/**
 * The compose topology as plain processes against one Redis: two scanners
 * (the lease picks one), three archive workers, a report worker and an alert
 * worker. Every run is handled exactly once, also after the scanner holding
 * the lease is killed; `runwarden status` and `runwarden dlq` work against it.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPipelineWriter } from '@runwarden/store';
import { createTestContext, runCliProcess, type TestContext, waitFor } from '@runwarden/testing';
import {
  startRole,
  testConfigYaml,
  writeConfigFiles,
  type RoleProcess,
} from '../support/processes.js';
import { unzipTest } from '../support/system.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('topology');
});
afterEach(() => ctx.cleanup());

const ALERTS = `channels:
  console: { color: never }
rules:
  - { name: run_failure, match: { type: run_completed, outcome: failed }, severity: critical, channels: [console] }
  - { name: run_completed, match: { type: run_completed }, severity: low, channels: [console] }
`;

function completeRuns(db: string, worktrees: string, ids: string[]): void {
  const writer = createPipelineWriter(db);
  try {
    for (const [i, runId] of ids.entries()) {
      const failed = i % 4 === 0;
      writer.run({ runId, pipeline: 'etl', state: 'running' });
      writer.step({ stepId: `${runId}.a`, runId, name: 'a', state: 'succeeded' });
      writer.step({
        stepId: `${runId}.b`,
        runId,
        name: 'b',
        state: failed ? 'failed' : 'succeeded',
        error: failed ? 'boom' : null,
      });
      writer.run({ runId, pipeline: 'etl', state: failed ? 'failed' : 'succeeded' });
    }
  } finally {
    writer.close();
  }
  void worktrees;
}

describe('the compose topology as processes', () => {
  it('handles every run exactly once with 2 scanners and 3 archive workers, and survives losing the lead scanner', async () => {
    const files = writeConfigFiles(ctx, testConfigYaml(ctx), ALERTS);
    const db = path.join(ctx.dir, 'orchestration.db');
    createPipelineWriter(db).close();
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const worktrees = path.join(ctx.dir, '.worktrees');
    const runs = Array.from({ length: 12 }, (_, i) => `run-${i}`);
    for (const runId of [...runs, ...runs.map((r) => `${r}-late`)]) {
      mkdirSync(path.join(worktrees, runId), { recursive: true });
      writeFileSync(path.join(worktrees, runId, 'out.txt'), `output of ${runId}\n`.repeat(100));
    }

    const scanners = [
      startRole(ctx, 'scanner-1', ['scanner'], files),
      startRole(ctx, 'scanner-2', ['scanner'], files),
    ];
    const roles: RoleProcess[] = [
      ...scanners,
      ...[1, 2, 3].map((n) => startRole(ctx, `archive-${n}`, ['worker', 'archive'], files)),
      startRole(ctx, 'report', ['worker', 'report'], files),
      startRole(ctx, 'alert', ['worker', 'alert'], files),
    ];
    const prefix = ctx.prefix;
    const lease = async () => {
      const status = await runCliProcess(['--config', files.config, 'status', '--json'], {
        cwd: ctx.dir,
        env: { REDIS_URL: ctx.redisUrl },
      });
      return status.code === 0
        ? (JSON.parse(status.stdout) as { scanner: { holder: string | null } })
        : undefined;
    };
    await waitFor(
      async () => (await lease())?.scanner.holder,
      'a scanner to hold the lease',
      60_000,
      500,
    );

    completeRuns(db, worktrees, runs);
    const reports = path.join(ctx.dir, 'reports');
    const allDone = (ids: string[]) =>
      ids.every((r) => existsSync(path.join(reports, `${r}_summary.json`)));
    await waitFor(() => allDone(runs), 'a report for every run', 60_000, 200);

    // Kill -9 whichever scanner holds the lease; the other takes over.
    const holder = (await lease())!.scanner.holder!;
    // A scanner's instance id is `<host>-<pid>-<random>`.
    const leader = scanners.find((s) => holder.includes(`-${s.child.pid}-`));
    expect(leader, `the lease holder ${holder} is one of the two scanners`).toBeDefined();
    await leader!.stop('SIGKILL');
    const late = runs.map((r) => `${r}-late`);
    completeRuns(db, worktrees, late);
    await waitFor(
      () => allDone(late),
      'reports for runs completed after the lead scanner died',
      60_000,
      200,
    );
    const successor = (await lease())?.scanner.holder;
    expect(successor).toBeTruthy();
    expect(successor).not.toBe(holder);

    for (const runId of [...runs, ...late]) {
      expect(unzipTest(path.join(ctx.dir, '.archive', `${runId}.zip`))).toMatch(
        /No errors detected/,
      );
    }
    expect(
      readdirSync(path.join(ctx.dir, '.archive')).filter((f) => f.endsWith('.zip')),
    ).toHaveLength(24);

    // Exactly one job per run on each queue: deterministic ids, no duplicates.
    for (const name of ['archive', 'report']) {
      const queue = new Queue(name, { connection: { url: ctx.redisUrl } as never, prefix });
      const jobs = await queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']);
      expect(jobs.map((j) => j.id).sort()).toEqual(
        [...runs, ...late].map((r) => `${r}.completed`).sort(),
      );
      await queue.close();
    }
    const alertOutput = roles.find((r) => r.name === 'alert')!.output();
    for (const runId of [...runs, ...late]) {
      expect(
        alertOutput.split(`run ${runId} `).length - 1,
        `console alerts naming ${runId}`,
      ).toBeGreaterThanOrEqual(1);
    }

    const dlq = await runCliProcess(['--config', files.config, 'dlq', 'list'], {
      cwd: ctx.dir,
      env: { REDIS_URL: ctx.redisUrl },
    });
    expect(dlq.code).toBe(0);
    expect(dlq.stdout).toContain('No dead letters.');

    // Graceful stop: SIGTERM → exit 0 for every role still running.
    const codes = await Promise.all(
      roles.filter((r) => r !== leader).map((r) => r.stop('SIGTERM')),
    );
    expect(codes).toEqual(codes.map(() => 0));
  });
});
