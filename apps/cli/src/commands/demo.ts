/**
 * `runwarden demo`: a whole system in one folder, in about fifteen seconds.
 *
 *   demo folder (config, orchestration.db, worktrees) ──▶ scanner + workers (this process)
 *   the demo pipeline plays runs that succeed, fail, get canceled and stall
 *   ──▶ console alerts as they happen ──▶ a summary of archives and reports
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_REDIS_URL,
  createLogger,
  deleteKeysWithPrefix,
  eventIds,
  loadConfig,
  QUEUES,
  stepsDone,
  type QueueSet,
} from '@runwarden/core';
import { reportPath, type RunReport } from '@runwarden/report';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { say, type CliIo } from '../context.js';
import { DemoPipeline, type DemoRun } from '../demo-pipeline.js';
import { resolveRedis } from '../redis-bootstrap.js';
import { demoConfigFiles } from './demo-config.js';

const RUNS = {
  ok: { runId: 'demo-ok', pipeline: 'nightly-etl', steps: ['extract', 'transform', 'load'] },
  fail: { runId: 'demo-fail', pipeline: 'nightly-etl', steps: ['extract', 'transform', 'load'] },
  cancel: { runId: 'demo-cancel', pipeline: 'train-model', steps: ['prepare', 'train'] },
  stall: { runId: 'demo-stall', pipeline: 'train-model', steps: ['prepare', 'train', 'evaluate'] },
} satisfies Record<string, DemoRun>;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new CliError(
        `The demo timed out waiting for ${what}. Run it again with --verbose to see the logs.`,
      );
    await pause(100);
  }
}

async function alertHandled(queues: QueueSet, jobId: string): Promise<boolean> {
  const job = await queues.get(QUEUES.alert).getJob(jobId);
  return job ? (await job.getState()) === 'completed' : false;
}

async function play(
  pipeline: DemoPipeline,
  queues: QueueSet,
  note: (line: string) => void,
  reports: string,
): Promise<void> {
  const { ok, fail, cancel, stall } = RUNS;
  for (const run of [ok, fail, cancel, stall]) pipeline.startRun(run);
  note(`pipeline: started ${[ok, fail, cancel, stall].map((r) => r.runId).join(', ')}`);
  pipeline.setStep(stall, 'prepare', 'succeeded');
  pipeline.setStep(stall, 'train', 'running');
  for (const step of ok.steps) {
    await pause(300);
    pipeline.setStep(ok, step, 'succeeded');
    pipeline.setStep(
      fail,
      step,
      step === 'transform' ? 'failed' : step === 'load' ? 'skipped' : 'succeeded',
      step === 'transform' ? "KeyError: 'customer_id' in transform.py:42" : null,
    );
  }
  pipeline.finishRun(ok, 'succeeded');
  pipeline.finishRun(fail, 'failed');
  note('pipeline: demo-ok succeeded; demo-fail failed in step transform');
  pipeline.setStep(cancel, 'prepare', 'succeeded');
  pipeline.finishRun(cancel, 'canceled');
  note(
    'pipeline: demo-cancel was canceled; demo-stall is stuck in step train (no progress from now on)',
  );
  await until(
    'the stall of demo-stall to be alerted',
    () => alertHandled(queues, eventIds.stalled(stall.runId, 1)),
    30_000,
  );
  note('pipeline: demo-stall makes progress again and finishes');
  pipeline.setStep(stall, 'train', 'succeeded');
  pipeline.setStep(stall, 'evaluate', 'succeeded');
  pipeline.finishRun(stall, 'succeeded');
  await until(
    'a report for every finished run',
    () => Object.values(RUNS).every((r) => existsSync(reportPath(reports, r.runId))),
    30_000,
  );
  await until(
    'the alerts of every finished run',
    async () =>
      (
        await Promise.all(
          Object.values(RUNS).map((r) => alertHandled(queues, eventIds.completed(r.runId))),
        )
      ).every(Boolean),
    30_000,
  );
}

function summary(reports: string, cwd: string): string {
  const lines = ['', 'What runwarden did:'];
  for (const run of Object.values(RUNS)) {
    const file = reportPath(reports, run.runId);
    const report = JSON.parse(readFileSync(file, 'utf8')) as RunReport;
    const a = report.archive;
    const archive =
      a.status === 'archived'
        ? `archived ${a.entries} entries (${a.bytes} bytes, verified, sha256 ${a.sha256?.slice(0, 12)}…)`
        : `archive ${a.status}: ${a.reason}`;
    lines.push(
      `  ${run.runId.padEnd(12)} ${report.outcome.padEnd(9)} steps ${stepsDone(report.steps.counts)}  ${archive}`,
    );
    lines.push(
      `  ${''.padEnd(12)} report ${path.relative(cwd, file)}; detected ${report.detection.lagMs ?? '?'} ms after the change`,
    );
  }
  return lines.join('\n');
}

async function runDemo(io: CliIo, opts: { dir: string; verbose?: boolean }): Promise<number> {
  const dir = path.resolve(io.cwd, opts.dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const logger = createLogger({ role: 'demo', level: opts.verbose ? 'info' : 'warn' });
  const note = (line: string) => io.stdout.write(`${line}\n`);
  const redis = await resolveRedis({
    url: io.env.REDIS_URL || DEFAULT_REDIS_URL,
    prefix: 'runwarden-demo',
    env: io.env,
    logger,
    say: (l) => say(io, l),
  });
  const prefix = `runwarden-demo-${randomBytes(4).toString('hex')}`;
  for (const [name, text] of Object.entries(demoConfigFiles(dir, redis.url, prefix)))
    writeFileSync(path.join(dir, name), text);
  // Only REDIS_URL from the environment: a demo must never page anyone's real Slack.
  const { config, alerts } = loadConfig({
    configPath: path.join(dir, 'runwarden.yaml'),
    env: { REDIS_URL: redis.url },
    cwd: dir,
  });
  const pipeline = new DemoPipeline(config.database, config.paths.worktrees);
  note(
    `Demo folder ${path.relative(io.cwd, dir) || '.'}: orchestration database, worktrees, archives and reports. Redis ${redis.url}, queue prefix ${prefix}.`,
  );
  const { startRuntime } = await import('../runtime.js');
  const runtime = await startRuntime({
    config,
    alerts,
    redisUrl: redis.url,
    logger,
    roles: ['scanner', 'archive', 'report', 'alert'],
    consoleOut: io.stdout,
  });
  try {
    await play(pipeline, runtime.queues, note, config.paths.reports);
    note(summary(config.paths.reports, io.cwd));
    note(
      `\nLook inside ${path.relative(io.cwd, dir)}/: .archive/*.zip (try unzip -l), reports/*_summary.json, orchestration.db (runwarden_* tables).`,
    );
  } finally {
    await runtime.close();
    pipeline.close();
    if (!redis.private)
      await deleteKeysWithPrefix(redis.url, config.redis.prefix).catch((err) =>
        logger.warn({ err }, `Could not remove the demo's queues under prefix ${prefix}`),
      );
    await redis.stop();
  }
  return 0;
}

export function registerDemoCommand(
  program: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  program
    .command('demo')
    .description(
      'play runs that succeed, fail, get canceled and stall through a whole runwarden in a folder of its own',
    )
    .option('--dir <folder>', 'where the demo lives (deleted and made anew)', '.runwarden-demo')
    .option('--verbose', 'show the structured logs too')
    .action(async (opts: { dir: string; verbose?: boolean }) => done(await runDemo(io, opts)));
}
