/**
 * `npm run soak -- [--minutes N] [--active N] [--rate N]`: a bounded soak of
 * the whole system as processes (scanner, archive, report and alert workers)
 * against a private redis-server and a Slack stand-in on 127.0.0.1.
 *
 *   pipeline driver (own process): `active` running runs, ~100 step updates/s,
 *     `rate` completions/s (1 in 8 failed), 1 in 20 completions freezes another
 *     run for 15 s (stall threshold 8 s) before it moves again
 *   every 10 s ─▶ one line: elapsed, completions, backlog per queue, RSS per
 *     process, commit → Slack latency p50/p99 of the alerts that arrived in the interval
 *   after N minutes ─▶ stop the driver, drain, summary (RSS growth first → last
 *     interval, totals, dead letters), stop every process, exit 0
 *
 * Slack's product limit is one message a second per webhook; the soak sets
 * `channels.slack.ratePerSecond: 1000` so latency is runwarden's, not the pacing's.
 * Figures are printed, never asserted.
 */
import { parseArgs } from 'node:util';
import { startDriver, type Driver, type DriverTotals } from './support-driver.js';
import { startSlackStandIn, type SlackStandIn } from './support-slack.js';
import { percentiles } from './support-stats.js';
import { startBenchSystem, type BenchSystem, type ProcessMemory } from './support-system.js';

const MAX_MINUTES = 240;
const INTERVAL_MS = 10_000;
const DRAIN_MS = 60_000;
const STALL_THRESHOLD = '8s';
const STALL_MS = 15_000;

const CONFIG = `scanner: { pollInterval: 2s, stallThreshold: ${STALL_THRESHOLD} }
archive: { concurrency: 2 }
`;
const ALERTS = (slackUrl: string) => `channels:
  slack: { webhookUrl: ${JSON.stringify(slackUrl)}, ratePerSecond: 1000 }
rules:
  - { name: run_succeeded, match: { type: run_completed, outcome: succeeded }, severity: low, channels: [slack] }
  - { name: run_failure, match: { type: run_completed, outcome: failed }, severity: critical, throttle: 30s, groupBy: [pipeline], channels: [slack] }
  - { name: step_failure, match: { type: step_failed }, severity: medium, throttle: 30s, groupBy: [pipeline], channels: [slack] }
  - { name: run_stalled, match: { type: run_stalled }, severity: medium, channels: [slack] }
  - { name: run_recovered, match: { type: run_recovered }, severity: low, resolves: run_stalled, channels: [slack] }
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (n: number) => n.toFixed(0);

interface Interval {
  at: number;
  memory: ProcessMemory[];
}

function options() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '2' },
      active: { type: 'string', default: '200' },
      rate: { type: 'string', default: '5' },
    },
  });
  const minutes = Number(values.minutes);
  const active = Number(values.active);
  const rate = Number(values.rate);
  if (
    !(minutes > 0 && minutes <= MAX_MINUTES) ||
    !(active >= 10 && active <= 10_000) ||
    !(rate > 0 && rate <= 100)
  ) {
    console.error(
      `soak: expected --minutes in (0, ${MAX_MINUTES}], --active in [10, 10000], --rate in (0, 100]; got ${JSON.stringify(values)}`,
    );
    process.exit(2);
  }
  return { minutes, active, rate };
}

/** Latency of every alert that arrived at Slack in (from, to] for a run the driver completed. */
function intervalLatency(slack: SlackStandIn, driver: Driver, from: number, to: number): number[] {
  const committed = new Map(driver.commits.map((c) => [c.runId, c.at]));
  return slack.arrivals.flatMap((a) => {
    if (
      a.at <= from ||
      a.at > to ||
      !a.runId ||
      !a.text.includes(': run ') ||
      a.text.includes('stalled') ||
      a.text.includes('progress')
    )
      return [];
    const at = committed.get(a.runId);
    return at === undefined ? [] : [a.at - at];
  });
}

async function printInterval(
  system: BenchSystem,
  slack: SlackStandIn,
  driver: Driver,
  started: number,
  from: number,
): Promise<Interval> {
  const now = Date.now();
  const backlog = await system.backlog();
  const memory = system.memory();
  const lat = percentiles(intervalLatency(slack, driver, from, now));
  const ledger = system.ledger();
  const queues = Object.entries(backlog)
    .map(([q, n]) => `${q}=${n}`)
    .join(' ');
  const rss = memory.map((m) => `${m.name}=${mb(m.rssMb)}(${mb(m.anonMb)})`).join(' ');
  const latency =
    lat.count > 0 ? `p50=${mb(lat.p50)} p99=${mb(lat.p99)} ms (n=${lat.count})` : 'no alerts';
  console.log(
    `[${String(Math.round((now - started) / 1000)).padStart(5)} s] completed ${driver.commits.length} (reported ${ledger.reports}, archived ${ledger.archives}, Slack ${slack.arrivals.length}) | waiting ${queues} | RSS(anon) MB ${rss} | latency ${latency}`,
  );
  return { at: now, memory };
}

async function drain(system: BenchSystem): Promise<boolean> {
  const deadline = Date.now() + DRAIN_MS;
  while (Date.now() < deadline) {
    if (Object.values(await system.backlog()).every((n) => n === 0)) return true;
    await sleep(250);
  }
  return false;
}

async function summary(
  system: BenchSystem,
  slack: SlackStandIn,
  driver: Driver,
  totals: DriverTotals,
  intervals: Interval[],
  drained: boolean,
): Promise<void> {
  const first = intervals[0]!;
  const last = intervals.at(-1)!;
  console.log(
    `\nsummary (${intervals.length} intervals; ${drained ? 'queues drained' : `queues NOT drained within ${DRAIN_MS / 1000} s`})`,
  );
  console.log(
    `RSS first → last interval (${Math.round((last.at - first.at) / 1000)} s apart; anon = heaps, without mapped files):`,
  );
  const change = (a: number, b: number) =>
    `${b - a >= 0 ? '+' : ''}${mb(b - a)} MB (${(((b - a) / a) * 100).toFixed(0)} %)`;
  for (const m of last.memory) {
    const before = first.memory.find((f) => f.name === m.name);
    if (!before) continue;
    console.log(
      `  ${m.name.padEnd(13)} RSS ${mb(before.rssMb)} → ${mb(m.rssMb)} MB ${change(before.rssMb, m.rssMb)}; anon ${mb(before.anonMb)} → ${mb(m.anonMb)} MB ${change(before.anonMb, m.anonMb)}; peak ${mb(m.hwmMb)} MB`,
    );
  }
  const ledger = system.ledger();
  const stats = await system.alertStats();
  const succeeded = driver.commits.filter((c) => c.outcome === 'succeeded');
  const unalerted = succeeded.filter((c) => slack.firstArrivalOf(c.runId) === undefined).length;
  const stalledAlerts = slack.arrivals.filter((a) => / stalled: /.test(a.text)).length;
  const resolved = slack.arrivals.filter((a) => a.text.startsWith('[RESOLVED]')).length;
  const all = percentiles(
    succeeded.flatMap((c) => {
      const at = slack.firstArrivalOf(c.runId);
      return at === undefined ? [] : [at - c.at];
    }),
  );
  console.log(
    `pipeline: ${totals.started} runs started, ${totals.completed} completed (${totals.failed} failed), ${totals.stalls} frozen for ${STALL_MS / 1000} s, ${totals.touches} step updates`,
  );
  console.log(
    `handled: ${ledger.archives} archives, ${ledger.reports} reports, ${ledger.alertRows} alert ledger rows`,
  );
  console.log(
    `Slack stand-in: ${slack.arrivals.length} messages (${slack.arrivals.filter((a) => a.digest).length} digests, ${stalledAlerts} stalled, ${resolved} resolved); alert counters ${JSON.stringify(stats)}`,
  );
  const lateStalls = driver.stalls.filter((s) => s.at > last.at - STALL_MS).length;
  console.log(
    `stalls: ${totals.stalls} runs frozen, ${stalledAlerts} run_stalled alerts, ${resolved} resolved (${lateStalls} frozen in the last ${STALL_MS / 1000} s may not be detected or resolved before the end)`,
  );
  console.log(
    `succeeded runs with no Slack alert: ${unalerted} of ${succeeded.length}; latency over the whole soak p50=${mb(all.p50)} p95=${mb(all.p95)} p99=${mb(all.p99)} max=${mb(all.max)} ms`,
  );
  console.log(`dead letters: ${await system.deadLetters()}`);
}

async function main(): Promise<void> {
  const { minutes, active, rate } = options();
  const slack = await startSlackStandIn();
  let system: BenchSystem | undefined;
  let driver: Driver | undefined;
  let stopping = false;
  const onSignal = () => (stopping = true);
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  // Bounded whatever happens: minutes + start-up + drain, then give up.
  const hardStop = setTimeout(
    () => {
      console.error('soak: over its time bound; stopping');
      driver?.kill();
      void system?.close().finally(() => process.exit(1));
    },
    (minutes * 60 + 300) * 1000 + DRAIN_MS,
  );
  hardStop.unref();
  try {
    console.error(
      `soak: ${minutes} min, ${active} active runs, ${rate} completions/s; starting redis-server, scanner, workers …`,
    );
    system = await startBenchSystem({
      name: 'soak',
      configYaml: CONFIG,
      alertsYaml: ALERTS(slack.url),
      slackUrl: slack.url,
    });
    driver = startDriver({
      db: system.dbFile,
      worktrees: system.worktrees,
      runPrefix: 'soak',
      active,
      stepsPerRun: 6,
      stepUpdatesPerSec: Math.max(active / 2, 20),
      completionsPerSec: rate,
      seconds: 0,
      failRatio: 1 / 8,
      stallRatio: 1 / 20,
      stallMs: STALL_MS,
      filesPerRun: 4,
      fileBytes: 2_000,
      pipelines: 3,
    });
    await driver.ready;
    driver.go();
    const started = Date.now();
    const intervals: Interval[] = [];
    let from = started;
    while (!stopping && Date.now() - started < minutes * 60_000) {
      await sleep(Math.min(INTERVAL_MS, started + minutes * 60_000 - Date.now()));
      intervals.push(await printInterval(system, slack, driver, started, from));
      from = intervals.at(-1)!.at;
    }
    const totals = await driver.stop();
    const drained = await drain(system);
    if (intervals.length === 0)
      intervals.push(await printInterval(system, slack, driver, started, from));
    await summary(system, slack, driver, totals, intervals, drained);
  } finally {
    driver?.kill();
    await system?.close();
    if (system && Object.values(system.exitCodes).some((c) => c !== 0))
      console.error(`soak: role exit codes ${JSON.stringify(system.exitCodes)}`);
    await slack.close();
    clearTimeout(hardStop);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
