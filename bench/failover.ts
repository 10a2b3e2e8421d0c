/**
 * `npm run bench -- failover`: how long runwarden stalls when Redis fails over.
 *
 * For a real Sentinel group (1 master, 1 replica, 3 Sentinels) and a real
 * 6-node Cluster, each on private redis-server processes:
 *
 *   runwarden start (--no-board) on the topology's URL, a Slack stand-in on 127.0.0.1
 *   ─▶ one run completes every 50 ms; a probe client writes every 20 ms
 *   ─▶ after 5 s: kill -9 of the master holding runwarden's keys
 *   ─▶ reference: Redis's own failover, kill → the probe's first write that succeeds
 *   ─▶ figure: kill → the first alert (Slack) for a run completed after the kill
 *   ─▶ every run alerted once? (lost and doubled counted), commit → Slack p99 over the stream
 *
 * The ratio says what runwarden adds on top of the failover Redis itself needs.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRedisConnection, closeRedisConnection } from '@runwarden/core';
import { createPipelineWriter } from '@runwarden/store';
import { startRole, writeConfigFiles } from '../test/support/processes.js';
import { type RedisTopology, startRedisCluster, startRedisSentinel } from '@runwarden/testing';
import { startSlackStandIn } from './support-slack.js';
import { openBaselinedReader, waitUntil } from './support-system.js';
import { quantile } from './support-stats.js';
import type { Bench, BenchFigure } from './types.js';

const RUN_EVERY_MS = 50;
const KILL_AFTER_MS = 5_000;
const STREAM_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface FailoverFigures {
  redisMs: number;
  runwardenMs: number;
  p99Ms: number;
  runs: number;
  lost: number;
  doubled: number;
}

async function measure(label: string, topology: RedisTopology): Promise<FailoverFigures> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `runwarden-bench-failover-`));
  const cleanups: (() => unknown)[] = [];
  const prefix = `{bench-${randomUUID().slice(0, 8)}}`; // a hash tag: one Cluster slot
  const slack = await startSlackStandIn();
  cleanups.push(() => slack.close());
  const probe = createRedisConnection(topology.url, { name: 'bench:probe' });
  probe.on('error', () => undefined);
  cleanups.push(() => closeRedisConnection(probe));
  try {
    const ctx = {
      redisUrl: topology.url,
      prefix,
      dir,
      defer: (step: () => unknown) => cleanups.push(step),
      cleanup: async () => undefined,
    };
    const dbFile = path.join(dir, 'orchestration.db');
    const writer = createPipelineWriter(dbFile);
    cleanups.push(() => writer.close());
    const files = writeConfigFiles(
      ctx,
      `database: ${JSON.stringify(dbFile)}
redis: { prefix: ${JSON.stringify(prefix)} }
paths: { worktrees: .worktrees, archive: .archive, reports: reports }
log: { level: warn }
scanner: { pollInterval: 10s, stallThreshold: 30m }
`,
      `channels:
  slack: { webhookUrl: ${JSON.stringify(slack.url)}, ratePerSecond: 1000 }
rules:
  - { name: run_done, match: { type: run_completed }, severity: low, channels: [slack] }
`,
    );
    const env = { SLACK_WEBHOOK_URL: slack.url, SMTP_HOST: '', ALERT_WEBHOOK_URL: '' };
    const role = startRole(ctx, 'start', ['start', '--no-board'], files, env);
    await waitUntil(
      () => {
        if (role.child.exitCode !== null)
          throw new Error(`runwarden start exited ${role.child.exitCode}:\n${role.output()}`);
        return /runwarden is running/.test(role.output());
      },
      'runwarden start',
      120_000,
    );
    const reader = await openBaselinedReader(dbFile);
    cleanups.push(() => reader.close());

    // The probe: a write every 20 ms, so Redis's own failover time is measured beside runwarden's.
    const probeOk: number[] = [];
    let probing = true;
    const probeLoop = (async () => {
      while (probing) {
        await probe
          .set(`${prefix}:bench:probe`, String(Date.now()))
          .then(() => probeOk.push(Date.now()))
          .catch(() => undefined);
        await sleep(20);
      }
    })();

    const committed = new Map<string, number>();
    const start = Date.now();
    let killedAt = 0;
    for (let i = 0; Date.now() - start < STREAM_MS; i++) {
      if (!killedAt && Date.now() - start >= KILL_AFTER_MS) {
        const master = await topology.masterFor(`${prefix}:scanner:lease`);
        killedAt = Date.now();
        await master.kill(true);
      }
      const runId = `fo-${i}`;
      const folder = path.join(dir, '.worktrees', runId);
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, 'out.txt'), `${runId}\n`);
      writer.run({ runId, pipeline: 'etl', state: 'succeeded' });
      committed.set(runId, Date.now());
      await sleep(RUN_EVERY_MS);
    }
    await waitUntil(
      () => [...committed.keys()].every((r) => slack.firstArrivalOf(r) !== undefined),
      `${label}: an alert for every run`,
      180_000,
    ).catch((err: unknown) => console.error(String(err)));
    probing = false;
    await probeLoop;

    const arrivals = new Map<string, number>();
    for (const a of slack.arrivals)
      if (a.runId) arrivals.set(a.runId, (arrivals.get(a.runId) ?? 0) + 1);
    const latencies = [...committed].flatMap(([runId, at]) => {
      const got = slack.firstArrivalOf(runId);
      return got === undefined ? [] : [got - at];
    });
    const firstAfterKill = Math.min(
      ...[...committed]
        .filter(([, at]) => at > killedAt)
        .map(([runId]) => slack.firstArrivalOf(runId) ?? Infinity),
    );
    const firstWrite = probeOk.find((t) => t > killedAt) ?? Infinity;
    await role.stop('SIGTERM');
    return {
      redisMs: firstWrite - killedAt,
      runwardenMs: firstAfterKill - killedAt,
      p99Ms: quantile(latencies, 0.99),
      runs: committed.size,
      lost: [...committed.keys()].filter((r) => !arrivals.has(r)).length,
      doubled: [...arrivals.values()].filter((n) => n > 1).length,
    };
  } finally {
    for (const step of cleanups.reverse()) await Promise.resolve(step()).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export const run: Bench = async () => {
  const figures: BenchFigure[] = [];
  for (const [label, startTopology] of [
    ['Sentinel', () => startRedisSentinel()],
    ['Cluster', () => startRedisCluster()],
  ] as const) {
    console.error(`  ${label}: starting the topology …`);
    const topology = await startTopology();
    let m: FailoverFigures;
    try {
      m = await measure(label, topology);
    } finally {
      await topology.stop();
    }
    const reference = {
      name: `${label}'s own failover (a client's first write)`,
      value: m.redisMs / 1000,
      unit: 's',
    };
    figures.push(
      {
        group: 'failover',
        name: `${label}: kill -9 of the master → first alert of a run completed after it`,
        value: m.runwardenMs / 1000,
        unit: 's',
        reference,
        ratio: m.runwardenMs / m.redisMs,
      },
      {
        group: 'failover',
        name: `${label}: commit → Slack p99 over the ${m.runs}-run stream, failover included`,
        value: m.p99Ms / 1000,
        unit: 's',
      },
      {
        group: 'failover',
        name: `${label}: runs never alerted / alerted twice`,
        value: m.lost + m.doubled,
        unit: 'runs',
        target: '0',
        met: m.lost + m.doubled === 0,
        note: `${m.lost} lost, ${m.doubled} doubled`,
      },
    );
  }
  return figures;
};
