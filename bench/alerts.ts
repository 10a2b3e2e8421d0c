/**
 * `npm run bench -- alerts [--events=N]`: how fast events go through rule
 * matching + throttle + the console channel (writing to a null stream),
 * compared with raw BullMQ no-op jobs measured in the same run, and how many
 * Redis commands each event costs (INFO deltas, counted on a private server).
 *
 *   N no-op jobs ──▶ Worker(no-op)                       = reference jobs/s
 *   N events ──▶ alert worker ──▶ delivery ──▶ console    = events/s (every event sent)
 *   N events, 15 m throttle per pipeline ──▶ mostly held  = events/s (a storm)
 *   N events ──▶ console + Slack stand-in, MONITOR on      = Redis commands per event:
 *       client commands (round trips) and commands run inside Lua scripts (BullMQ's and ours),
 *       beside a raw no-op job's (INFO deltas count both; MONITOR tells them apart)
 */
import { Writable } from 'node:stream';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createAlertWorker } from '@runwarden/alert-worker';
import {
  alertsConfigSchema,
  createLogger,
  emptyStepCounts,
  QueueSet,
  runwardenConfigSchema,
  type RunwardenEvent,
} from '@runwarden/core';
import { startRedisServer } from '@runwarden/testing';
import { startSlackStandIn } from './support-slack.js';
import type { Bench, BenchFigure } from './types.js';

const nullStream = new Writable({ write: (_c, _e, cb) => cb() });

function event(i: number): RunwardenEvent {
  const runId = `bench-${i}`;
  return {
    id: `${runId}.completed`,
    type: 'run_completed',
    runId,
    pipeline: `p${i % 4}`,
    detectedAt: new Date().toISOString(),
    outcome: 'failed',
    stepCounts: { ...emptyStepCounts(), succeeded: 4, failed: 1, total: 5 },
    run: {
      runId,
      pipeline: `p${i % 4}`,
      state: 'failed',
      createdAt: '',
      startedAt: null,
      finishedAt: null,
      updatedAt: '',
      steps: [],
    },
  };
}

async function commandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}

async function noopJobsPerSecond(
  url: string,
  n: number,
): Promise<{ perSecond: number; commandsPerJob: number }> {
  const admin = new Redis(url);
  const before = await commandsProcessed(admin);
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection, prefix: 'bench-noop' });
  await queue.addBulk(
    Array.from({ length: n }, (_, i) => ({
      name: 'noop',
      data: { i },
      opts: { removeOnComplete: { count: n } },
    })),
  );
  let done = 0;
  const started = performance.now();
  const workerConnection = new Redis(url, { maxRetriesPerRequest: null });
  const worker = new Worker('noop', async () => undefined, {
    connection: workerConnection,
    prefix: 'bench-noop',
    concurrency: 16,
  });
  worker.on('completed', () => (done += 1));
  await until(async () => done >= n);
  const seconds = (performance.now() - started) / 1_000;
  await worker.close();
  await queue.close();
  connection.disconnect();
  workerConnection.disconnect();
  const commandsPerJob = ((await commandsProcessed(admin)) - before) / n;
  admin.disconnect();
  return { perSecond: n / seconds, commandsPerJob };
}

/** Counts the commands Redis runs while `work` runs: sent by clients, and run inside Lua scripts. */
async function monitored(url: string, work: () => Promise<void>) {
  const client = new Redis(url);
  const monitor = await client.monitor();
  const counts = { client: 0, script: 0 };
  monitor.on('monitor', (_time: string, _args: string[], source: string) => {
    if (source === 'lua') counts.script += 1;
    else counts.client += 1;
  });
  try {
    await work();
    await new Promise((r) => setTimeout(r, 200)); // the last lines of the feed
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
  return counts;
}

async function alertEventsPerSecond(
  url: string,
  n: number,
  throttle: number,
  prefix: string,
  slackUrl?: string,
): Promise<{ perSecond: number; commandsPerEvent: number }> {
  const config = runwardenConfigSchema.parse({ redis: { url, prefix } });
  const remote = slackUrl ? ['slack'] : [];
  const alerts = alertsConfigSchema.parse({
    channels: {
      console: { color: 'never' },
      ...(slackUrl ? { slack: { webhookUrl: slackUrl, ratePerSecond: 1_000_000 } } : {}),
    },
    rules: [
      {
        name: 'run_failure',
        match: { type: 'run_completed', outcome: 'failed' },
        severity: 'critical',
        throttle,
        groupBy: ['pipeline'],
        channels: ['console', ...remote],
      },
    ],
  });
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const admin = new Redis(url);
  const queues = new QueueSet({ connection, prefix, config });
  await queues.get('alert').addBulk(
    Array.from({ length: n }, (_, i) => ({
      name: 'run_completed',
      data: event(i),
      opts: { jobId: `bench-${i}.completed` },
    })),
  );
  const before = await commandsProcessed(admin);
  const started = performance.now();
  const worker = createAlertWorker({
    config,
    alerts,
    logger: createLogger({ level: 'silent' }),
    queues,
    redisUrl: url,
    consoleOut: nullStream,
  });
  const deliveries = await until(
    async () => (await queues.get('alert').getJobCountByTypes('completed')) >= n,
  ).then(async () => {
    // With a long throttle only the first event of each pipeline is sent now.
    const expected = (throttle === 0 ? n : 4) * (1 + remote.length);
    await until(
      async () => (await queues.get('delivery').getJobCountByTypes('completed')) >= expected,
    );
    return expected;
  });
  const seconds = (performance.now() - started) / 1_000;
  const commands = (await commandsProcessed(admin)) - before;
  await worker.close();
  await queues.close();
  connection.disconnect();
  admin.disconnect();
  process.stderr.write(`  ${n} events (${deliveries} deliveries) in ${seconds.toFixed(2)} s\n`);
  return { perSecond: n / seconds, commandsPerEvent: commands / n };
}

export const run: Bench = async (args) => {
  const n = Number(args.find((a) => a.startsWith('--events='))?.split('=')[1] ?? 5_000);
  const server = await startRedisServer();
  try {
    process.stderr.write(`alerts: reference, ${n} BullMQ no-op jobs …\n`);
    const noop = await noopJobsPerSecond(server.url, n);
    process.stderr.write(`alerts: ${n} events, no throttle (every event to the console) …\n`);
    const all = await alertEventsPerSecond(server.url, n, 0, 'bench-all');
    process.stderr.write(
      `alerts: ${n} events, 15m throttle on 4 pipelines (a storm: almost all held) …\n`,
    );
    const storm = await alertEventsPerSecond(server.url, n, 15 * 60_000, 'bench-storm');
    const m = Math.min(n, 2_000);
    process.stderr.write(`alerts: ${m} events to the console and a Slack stand-in, MONITOR on …\n`);
    const slack = await startSlackStandIn();
    let remote: { perSecond: number; commandsPerEvent: number } | undefined;
    const counts = await monitored(server.url, async () => {
      remote = await alertEventsPerSecond(server.url, m, 0, 'bench-remote', slack.url);
    }).finally(() => slack.close());
    const reference = {
      name: 'BullMQ no-op jobs, concurrency 16',
      value: noop.perSecond,
      unit: 'jobs/s',
    };
    const perJob = {
      name: 'one raw no-op job (add + process)',
      value: noop.commandsPerJob,
      unit: 'commands',
    };
    const figures: BenchFigure[] = [
      {
        group: 'alerts',
        name: 'events/s, each sent to the console',
        value: all.perSecond,
        unit: 'events/s',
        reference,
        ratio: all.perSecond / noop.perSecond,
        target: 'ratio ≥ 0.5',
        met: all.perSecond / noop.perSecond >= 0.5,
      },
      {
        group: 'alerts',
        name: 'events/s, storm (held for digests)',
        value: storm.perSecond,
        unit: 'events/s',
        reference,
        ratio: storm.perSecond / noop.perSecond,
        target: 'ratio ≥ 0.5 (one job per event)',
        met: storm.perSecond / noop.perSecond >= 0.5,
      },
      {
        group: 'alerts',
        name: 'Redis commands per event, each sent',
        value: all.commandsPerEvent,
        unit: 'commands',
        note: 'INFO total_commands_processed delta ÷ events; includes BullMQ and ledger',
      },
      {
        group: 'alerts',
        name: 'Redis commands per event, storm',
        value: storm.commandsPerEvent,
        unit: 'commands',
        note: 'INFO total_commands_processed delta ÷ events',
      },
      {
        group: 'alerts',
        name: 'Redis commands per event sent, console + Slack (all, incl. in Lua)',
        value: remote!.commandsPerEvent,
        unit: 'commands',
        reference: perJob,
        ratio: remote!.commandsPerEvent / noop.commandsPerJob,
        target: '≤ 25',
        met: remote!.commandsPerEvent <= 25,
        note: `MONITOR on (${remote!.perSecond.toFixed(0)} events/s)`,
      },
      {
        group: 'alerts',
        name: '  of which sent by clients (round trips)',
        value: counts.client / m,
        unit: 'commands',
      },
      {
        group: 'alerts',
        name: '  of which run inside Lua scripts',
        value: counts.script / m,
        unit: 'commands',
      },
    ];
    return figures;
  } finally {
    await server.stop();
  }
};
