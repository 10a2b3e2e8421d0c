/**
 * `npm run bench -- alerts [--events=N]`: how fast events go through rule
 * matching + throttle + the console channel (writing to a null stream),
 * compared with raw BullMQ no-op jobs measured in the same run, and how many
 * Redis commands each event costs (INFO deltas, counted on a private server).
 *
 *   N no-op jobs ──▶ Worker(no-op)                       = reference jobs/s
 *   N events ──▶ alert worker ──▶ delivery ──▶ console    = events/s (every event sent)
 *   N events, 15 m throttle per pipeline ──▶ mostly held  = events/s (a storm)
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

async function noopJobsPerSecond(url: string, n: number): Promise<number> {
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
  return n / seconds;
}

async function alertEventsPerSecond(
  url: string,
  n: number,
  throttle: number,
  prefix: string,
): Promise<{ perSecond: number; commandsPerEvent: number }> {
  const config = runwardenConfigSchema.parse({ redis: { url, prefix } });
  const alerts = alertsConfigSchema.parse({
    channels: { console: { color: 'never' } },
    rules: [
      {
        name: 'run_failure',
        match: { type: 'run_completed', outcome: 'failed' },
        severity: 'critical',
        throttle,
        groupBy: ['pipeline'],
        channels: ['console'],
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
    const expected = throttle === 0 ? n : 4; // with a long throttle only the first event of each pipeline is sent now
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
  process.stderr.write(
    `  ${n} events (${deliveries} console deliveries) in ${seconds.toFixed(2)} s\n`,
  );
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
    const reference = { name: 'BullMQ no-op jobs, concurrency 16', value: noop, unit: 'jobs/s' };
    const figures: BenchFigure[] = [
      {
        group: 'alerts',
        name: 'events/s, each sent to the console',
        value: all.perSecond,
        unit: 'events/s',
        reference,
        ratio: all.perSecond / noop,
        target: 'ratio ≥ 0.25 (two jobs per event)',
        met: all.perSecond / noop >= 0.25,
      },
      {
        group: 'alerts',
        name: 'events/s, storm (held for digests)',
        value: storm.perSecond,
        unit: 'events/s',
        reference,
        ratio: storm.perSecond / noop,
        target: 'ratio ≥ 0.5 (one job per event)',
        met: storm.perSecond / noop >= 0.5,
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
    ];
    return figures;
  } finally {
    await server.stop();
  }
};
