/**
 * `npm run bench -- pipeline [--quick] [--runs=N] [--active=N] [--archive-workers=N] [--archive-concurrency=N] [--start-runs=N] [--start-only | --burst-only]`
 *
 * The whole system as processes (scanner, archive worker(s), report worker,
 * alert worker: `runwarden` roles from sources under tsx) against a private
 * redis-server, with a node:http Slack stand-in on 127.0.0.1.
 *
 *   reference: N raw BullMQ no-op jobs, addBulk + worker concurrency 50 (same Redis, same run)
 *   (a) burst: N completed runs (3 steps, 3 small files each) in one commit
 *       ─▶ time until the ledger has N archives and N reports and Slack got every alert
 *          (run_succeeded: no throttle; run_failure: 1 h throttle per pipeline, so the
 *          rest are held for a digest) ─▶ runs/s, notifications, peak RSS per process
 *   (b) latency: `active` running runs with ~200 step updates/s, 20 completions/s
 *       ─▶ commit (pipeline driver process) → arrival at the Slack stand-in, p50/p95/p99
 *   (c) start: the burst (2,000 runs) again, every role in one `runwarden start` process:
 *       alert latency (commit → Slack stand-in) p50/p99, peak RSS of that one process
 * Both bursts also print the alert latency of each sent run and the ledger backlog peak;
 * (a) also times a shell loop of `zip -r -q` + `unzip -tq` over its worktrees, the
 * archive stage's reference.
 *
 * Slack's product limit is one message a second per webhook; here
 * `channels.slack.ratePerSecond` is 1000 so the stand-in measures runwarden, not the pacing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPipelineWriter } from '@runwarden/store';
import { measureNoopJobs } from './support-bullmq.js';
import { startDriver } from './support-driver.js';
import { startSlackStandIn, type SlackStandIn } from './support-slack.js';
import { percentiles } from './support-stats.js';
import { startBenchSystem, type BenchSystem } from './support-system.js';
import type { Bench, BenchFigure } from './types.js';

const SLACK_RATE = 1000;
const PIPELINES = 4;
const FAIL_EVERY = 10;

// Shipped defaults, but for the long poll interval; `--archive-concurrency=N` overrides archive.concurrency.
const config = (archiveConcurrency?: number) =>
  `scanner: { pollInterval: 10s, stallThreshold: 30m }\n${archiveConcurrency ? `archive: { concurrency: ${archiveConcurrency} }\n` : ''}`;
const ALERTS = (slackUrl: string) => `channels:
  slack: { webhookUrl: ${JSON.stringify(slackUrl)}, ratePerSecond: ${SLACK_RATE} }
rules:
  - { name: run_succeeded, match: { type: run_completed, outcome: succeeded }, severity: low, channels: [slack] }
  - { name: run_failure, match: { type: run_completed, outcome: failed }, severity: critical, throttle: 1h, groupBy: [pipeline], channels: [slack] }
`;

const option = (args: string[], name: string, fallback: number) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes the worktrees, then commits every run, complete, in one transaction; returns the commit time. */
function commitBurst(
  system: BenchSystem,
  runs: number,
): { at: number; failed: number; failurePipelines: number } {
  for (let i = 0; i < runs; i++) {
    const folder = path.join(system.worktrees, `burst-${i}`);
    mkdirSync(folder, { recursive: true });
    for (const f of ['input.csv', 'model.json', 'log.txt'])
      writeFileSync(path.join(folder, f), `burst-${i} ${f}\n${'0123456789'.repeat(20)}\n`);
  }
  const writer = createPipelineWriter(system.dbFile);
  let failed = 0;
  const failurePipelines = new Set<string>();
  writer.db.transaction(() => {
    for (let i = 0; i < runs; i++) {
      const runId = `burst-${i}`;
      const pipeline = `p${i % PIPELINES}`;
      const fail = i % FAIL_EVERY === 0;
      if (fail) {
        failed += 1;
        failurePipelines.add(pipeline);
      }
      for (const s of ['extract', 'train', 'publish']) {
        const bad = fail && s === 'publish';
        writer.step({
          stepId: `${runId}.${s}`,
          runId,
          name: s,
          state: bad ? 'failed' : 'succeeded',
          error: bad ? 'bench: publish failed' : null,
        });
      }
      writer.run({ runId, pipeline, state: fail ? 'failed' : 'succeeded' });
    }
  })();
  const at = Date.now();
  writer.close();
  return { at, failed, failurePipelines: failurePipelines.size };
}

async function burst(system: BenchSystem, slack: SlackStandIn, runs: number, timeoutMs: number) {
  const { at, failed, failurePipelines } = commitBurst(system, runs);
  const expectedSent = runs - failed + failurePipelines;
  const expectedHeld = failed - failurePipelines;
  const reached: Record<'enqueued' | 'archived' | 'reported' | 'alerted', number | undefined> = {
    enqueued: undefined,
    archived: undefined,
    reported: undefined,
    alerted: undefined,
  };
  const enqueued = () =>
    system.countRows(
      "SELECT count(*) FROM runwarden_events WHERE type = 'run_completed' AND enqueued_at IS NOT NULL AND run_id LIKE 'burst-%'",
    );
  let lastLog = Date.now();
  let ledgerPeak = 0;
  while (Date.now() - at < timeoutMs) {
    const ledger = system.ledger();
    const stats = await system.alertStats();
    const backlog = await system.backlog();
    ledgerPeak = Math.max(ledgerPeak, backlog.ledger);
    const now = Date.now();
    if (reached.enqueued === undefined && enqueued() >= runs) reached.enqueued = now - at;
    if (reached.archived === undefined && ledger.archives >= runs) reached.archived = now - at;
    if (reached.reported === undefined && ledger.reports >= runs) reached.reported = now - at;
    if (
      reached.alerted === undefined &&
      slack.arrivals.length >= expectedSent &&
      stats.held >= expectedHeld
    )
      reached.alerted = now - at;
    if (now - lastLog > 5_000) {
      lastLog = now;
      console.error(
        `  ${((now - at) / 1000).toFixed(0)} s: archived ${ledger.archives}, reported ${ledger.reports}, Slack ${slack.arrivals.length}/${expectedSent}, held ${stats.held}/${expectedHeld}; backlog ${JSON.stringify(backlog)}`,
      );
    }
    if (
      reached.archived !== undefined &&
      reached.reported !== undefined &&
      reached.alerted !== undefined
    )
      break;
    await sleep(100);
  }
  const stats = await system.alertStats();
  const files = {
    zips: readdirSync(path.join(system.dir, '.archive')).filter((f) => f.endsWith('.zip')).length,
    reports: readdirSync(path.join(system.dir, 'reports')).filter((f) =>
      f.endsWith('_summary.json'),
    ).length,
  };
  // Commit → first Slack arrival naming the run, for every run whose alert is sent (not held).
  const alertLatency = Array.from({ length: runs }, (_, i) => slack.firstArrivalOf(`burst-${i}`))
    .filter((t): t is number => t !== undefined)
    .map((t) => t - at);
  return {
    reached,
    ledgerPeak,
    alertLatency: percentiles(alertLatency),
    expectedSent,
    expectedHeld,
    failed,
    stats,
    files,
    sentAtSlack: slack.arrivals.length,
    ledger: system.ledger(),
  };
}

async function latency(system: BenchSystem, slack: SlackStandIn, active: number, seconds: number) {
  const driver = startDriver({
    db: system.dbFile,
    worktrees: system.worktrees,
    runPrefix: 'live',
    active,
    stepsPerRun: 5,
    stepUpdatesPerSec: 200,
    completionsPerSec: 20,
    seconds,
    failRatio: 0,
    stallRatio: 0,
    stallMs: 0,
    filesPerRun: 3,
    fileBytes: 200,
    pipelines: PIPELINES,
  });
  try {
    await driver.ready;
    // Let the scanner see the active runs and the workers absorb their run_started events first.
    const deadline = Date.now() + 120_000;
    while (
      system.countRows("SELECT count(*) FROM runwarden_runs WHERE run_id LIKE 'live-%'") < active ||
      Object.values(await system.backlog()).some((n) => n > 0)
    ) {
      if (Date.now() > deadline)
        throw new Error('the scanner did not pick up the active runs within 120 s');
      await sleep(200);
    }
    driver.go();
    const totals = await driver.done;
    const settle = Date.now() + 30_000;
    while (
      Date.now() < settle &&
      driver.commits.some((c) => slack.firstArrivalOf(c.runId) === undefined)
    )
      await sleep(100);
    const lat = driver.commits.flatMap((c) => {
      const arrived = slack.firstArrivalOf(c.runId);
      return arrived === undefined ? [] : [arrived - c.at];
    });
    return { totals, lat, missing: driver.commits.length - lat.length };
  } finally {
    driver.kill();
  }
}

function burstFigures(
  runs: number,
  b: Awaited<ReturnType<typeof burst>>,
  noop: number,
  g = 'pipeline',
): BenchFigure[] {
  const all = Math.max(
    b.reached.archived ?? NaN,
    b.reached.reported ?? NaN,
    b.reached.alerted ?? NaN,
  );
  const perSec = runs / (all / 1000);
  const reference = {
    name: 'raw BullMQ no-op jobs (addBulk, concurrency 50)',
    value: noop,
    unit: 'jobs/s',
  };
  return [
    {
      group: g,
      name: `burst of ${runs} completed runs: all archived, reported and alerted`,
      value: all / 1000,
      unit: 's',
      ...(Number.isNaN(all) ? { note: 'not reached before the timeout' } : {}),
    },
    {
      group: g,
      name: 'burst throughput',
      value: perSec,
      unit: 'runs/s',
      reference,
      ratio: perSec / noop,
      note: 'each run is ≥ 7 jobs: archive, report, alert, delivery, 3+ ledger',
    },
    {
      group: g,
      name: '  time to all run_completed events enqueued by the scanner',
      value: (b.reached.enqueued ?? NaN) / 1000,
      unit: 's',
    },
    {
      group: g,
      name: '  time to all archived (ledger rows)',
      value: (b.reached.archived ?? NaN) / 1000,
      unit: 's',
    },
    {
      group: g,
      name: '  time to all reported (ledger rows)',
      value: (b.reached.reported ?? NaN) / 1000,
      unit: 's',
    },
    {
      group: g,
      name: '  time to all alerted (Slack arrivals + held)',
      value: (b.reached.alerted ?? NaN) / 1000,
      unit: 's',
    },
    {
      group: g,
      name: '  alert latency in the burst p50: commit → Slack stand-in',
      value: b.alertLatency.p50,
      unit: 'ms',
      note: `${b.alertLatency.count} runs`,
    },
    {
      group: g,
      name: '  alert latency in the burst p99: commit → Slack stand-in',
      value: b.alertLatency.p99,
      unit: 'ms',
      note: `max ${b.alertLatency.max.toFixed(0)} ms`,
    },
    {
      group: g,
      name: 'ledger backlog peak in the burst (waiting + active, polled every ~100 ms)',
      value: b.ledgerPeak,
      unit: 'jobs',
      target: '≤ 500',
      met: b.ledgerPeak <= 500,
    },
    {
      group: g,
      name: `notifications at the Slack stand-in (expected ${b.expectedSent})`,
      value: b.sentAtSlack,
      unit: 'msgs',
      target: `= ${b.expectedSent}`,
      met: b.sentAtSlack === b.expectedSent,
    },
    {
      group: g,
      name: `failure alerts held for the 1 h digest (expected ${b.expectedHeld} of ${b.failed})`,
      value: b.stats.held,
      unit: 'alerts',
      target: `= ${b.expectedHeld}`,
      met: b.stats.held === b.expectedHeld,
    },
    {
      group: g,
      name: 'zips in .archive / reports in reports/',
      value: b.files.zips,
      unit: 'zips',
      note: `${b.files.reports} reports; ledger ${b.ledger.archives} archives, ${b.ledger.reports} reports, ${b.ledger.alertRows} alert rows`,
    },
  ];
}

/**
 * The reference for the archive stage: a shell loop of `zip -r -q` + `unzip -tq`
 * over the burst's worktrees (after the burst, so they do not compete), in ms.
 */
function shellZipLoop(worktrees: string, runs: number): number {
  const out = mkdtempSync(path.join(os.tmpdir(), 'runwarden-bench-zip-'));
  try {
    const script = `for i in $(seq 0 ${runs - 1}); do zip -r -q "$1/burst-$i.zip" "burst-$i" && unzip -tq "$1/burst-$i.zip" >/dev/null || exit 1; done`;
    const started = performance.now();
    const r = spawnSync('sh', ['-c', script, 'sh', out], { cwd: worktrees, stdio: 'inherit' });
    if (r.status !== 0)
      throw new Error(`the zip/unzip loop failed (${r.status ?? r.error?.message})`);
    return performance.now() - started;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** (c) The burst again, every role in one `runwarden start` process, with a Slack stand-in of its own. */
async function oneProcessBurst(
  runs: number,
  timeoutMs: number,
  archiveConcurrency?: number,
): Promise<BenchFigure[]> {
  const slack = await startSlackStandIn();
  let system: BenchSystem | undefined;
  try {
    system = await startBenchSystem({
      name: 'pipeline-start',
      configYaml: config(archiveConcurrency),
      alertsYaml: ALERTS(slack.url),
      slackUrl: slack.url,
      oneProcess: true,
    });
    const noop = await measureNoopJobs(system.redis.url, Math.max(runs, 10_000));
    const b = await burst(system, slack, runs, timeoutMs);
    const figures = burstFigures(runs, b, noop.processPerSec, 'start');
    for (const p of system.memory())
      figures.push({
        group: 'start',
        name: `peak RSS during the burst: ${p.name}`,
        value: p.hwmMb,
        unit: 'MB',
        ...(p.name === 'redis-server' ? {} : { target: '≤ 200 MB', met: p.hwmMb <= 200 }),
      });
    return figures;
  } finally {
    await system?.close();
    if (system && Object.values(system.exitCodes).some((c) => c !== 0))
      console.error(`pipeline: exit codes ${JSON.stringify(system.exitCodes)}`);
    await slack.close();
  }
}

export const run: Bench = async (args) => {
  const quick = args.includes('--quick');
  const runs = option(args, 'runs', quick ? 1_000 : 10_000);
  const active = option(args, 'active', quick ? 200 : 1_000);
  const startRuns = option(args, 'start-runs', quick ? 1_000 : 2_000);
  const seconds = quick ? 10 : 15;
  const timeoutMs = quick ? 180_000 : 900_000;
  const archiveConcurrency = option(args, 'archive-concurrency', 0) || undefined;
  if (args.includes('--start-only'))
    return oneProcessBurst(startRuns, timeoutMs, archiveConcurrency);
  const figures = await separateProcesses(args, {
    quick,
    runs,
    active,
    seconds,
    timeoutMs,
    archiveConcurrency,
    burstOnly: args.includes('--burst-only'),
  });
  if (args.includes('--burst-only')) return figures;
  console.error(`pipeline: (c) burst of ${startRuns} runs through one \`runwarden start\` …`);
  figures.push(...(await oneProcessBurst(startRuns, timeoutMs, archiveConcurrency)));
  return figures;
};

async function separateProcesses(
  args: string[],
  o: {
    quick: boolean;
    runs: number;
    active: number;
    seconds: number;
    timeoutMs: number;
    archiveConcurrency: number | undefined;
    burstOnly: boolean;
  },
): Promise<BenchFigure[]> {
  const { runs, active, seconds } = o;
  const slack = await startSlackStandIn();
  let system: BenchSystem | undefined;
  try {
    console.error('pipeline: starting redis-server, scanner, workers …');
    system = await startBenchSystem({
      name: 'pipeline',
      configYaml: config(o.archiveConcurrency),
      alertsYaml: ALERTS(slack.url),
      slackUrl: slack.url,
      archiveWorkers: option(args, 'archive-workers', 1),
    });
    // At least 10,000 jobs: below that the worker's start-up dominates the reference.
    const noopJobs = Math.max(runs, 10_000);
    console.error(`pipeline: reference, ${noopJobs} raw BullMQ no-op jobs …`);
    const noop = await measureNoopJobs(system.redis.url, noopJobs);
    console.error(`pipeline: (a) burst of ${runs} completed runs …`);
    const b = await burst(system, slack, runs, o.timeoutMs);
    const peak = system.memory();
    const figures = burstFigures(runs, b, noop.processPerSec);
    console.error(`pipeline: reference, zip -r -q + unzip -tq over the ${runs} worktrees …`);
    const loopMs = shellZipLoop(system.worktrees, runs);
    const archiveMs = b.reached.archived ?? NaN;
    figures.push({
      group: 'pipeline',
      name: `archive stage: ${runs} small worktrees archived (time to all archived)`,
      value: archiveMs / 1000,
      unit: 's',
      reference: { name: 'shell loop zip -r -q + unzip -tq', value: loopMs / 1000, unit: 's' },
      ratio: loopMs / archiveMs,
      target: 'ratio ≥ 2.0',
      met: loopMs / archiveMs >= 2,
      note: 'ratio = loop ÷ stage; the stage also fsyncs, verifies against the source, writes manifests',
    });
    figures.push({
      group: 'pipeline',
      name: 'reference: raw BullMQ addBulk',
      value: noop.addPerSec,
      unit: 'jobs/s',
    });
    for (const p of peak)
      figures.push({
        group: 'pipeline',
        name: `peak RSS during the burst: ${p.name}`,
        value: p.hwmMb,
        unit: 'MB',
        ...(p.name === 'redis-server'
          ? {}
          : {
              note: 'VmHWM; runs under tsx from sources',
              target: '≤ 150 MB',
              met: p.hwmMb <= 150,
            }),
      });
    if (o.burstOnly) return figures;
    console.error(
      `pipeline: (b) detection latency, ${active} active runs, 20 completions/s for ${seconds} s …`,
    );
    const l = await latency(system, slack, active, seconds);
    const p = percentiles(l.lat);
    const name = (q: string) =>
      `detection latency ${q}: DB commit → Slack stand-in (${p.count} runs, ${active} active, ratePerSecond ${SLACK_RATE})`;
    figures.push({ group: 'pipeline', name: name('p50'), value: p.p50, unit: 'ms' });
    figures.push({ group: 'pipeline', name: name('p95'), value: p.p95, unit: 'ms' });
    figures.push({
      group: 'pipeline',
      name: name('p99'),
      value: p.p99,
      unit: 'ms',
      note: `max ${p.max.toFixed(0)} ms`,
    });
    figures.push({
      group: 'pipeline',
      name: 'completion rate the driver achieved (asked for 20/s)',
      value: l.totals.completed / seconds,
      unit: 'runs/s',
      note: `${l.totals.touches} step updates (asked for 200/s)`,
    });
    figures.push({
      group: 'pipeline',
      name: 'completions with no Slack alert within 30 s',
      value: l.missing,
      unit: 'runs',
      target: '0',
      met: l.missing === 0,
    });
    figures.push({
      group: 'pipeline',
      name: 'dead letters after both phases',
      value: await system.deadLetters(),
      unit: 'jobs',
      target: '0',
      met: (await system.deadLetters()) === 0,
    });
    for (const m of system.memory())
      figures.push({
        group: 'pipeline',
        name: `peak RSS at the end: ${m.name}`,
        value: m.hwmMb,
        unit: 'MB',
        note: `now ${m.rssMb.toFixed(0)} MB`,
      });
    return figures;
  } finally {
    await system?.close();
    if (system && Object.values(system.exitCodes).some((c) => c !== 0))
      console.error(`pipeline: role exit codes ${JSON.stringify(system.exitCodes)}`);
    await slack.close();
  }
}
