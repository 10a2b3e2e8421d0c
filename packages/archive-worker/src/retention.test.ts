import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLogger,
  createRedisConnection,
  loadConfig,
  QueueSet,
  retentionStatusKey,
  runwardenConfigSchema,
  type RetentionLedgerEntry,
  type RunwardenConfig,
} from '@runwarden/core';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { createRetentionJob } from './retention-job.js';
import { planRetention, type StoredRun } from './retention-plan.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('retention');
});
afterEach(() => ctx.cleanup());

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-30T12:00:00Z');
const rules = (r: Record<string, unknown>) =>
  runwardenConfigSchema.parse({ archive: { retention: r } }).archive.retention;
const run = (runId: string, daysAgo: number, pipeline = 'etl', bytes = 100): StoredRun => ({
  runId,
  pipeline,
  archivedAt: NOW - daysAgo * DAY,
  bytes,
  files: [],
});
const planned = (runs: StoredRun[], r: Record<string, unknown>) =>
  planRetention(runs, rules(r), NOW).map((d) => `${d.run.runId}:${d.reason}`);

describe('planRetention', () => {
  it('deletes what maxAge, keepLast per pipeline and maxTotalSize say, oldest first, never younger than minAge', () => {
    const runs = [
      run('a', 40),
      run('b', 20),
      run('c', 10),
      run('d', 2),
      run('e', 0.01),
      run('m1', 30, 'ml'),
      run('m2', 1, 'ml'),
    ];
    expect(planned(runs, { maxAge: '30d' })).toEqual(['a:maxAge']);
    expect(planned(runs, { keepLast: 2 })).toEqual(['a:keepLast', 'b:keepLast', 'c:keepLast']);
    expect(planned(runs, { keepLast: { etl: 4, '*': 1 } })).toEqual(['a:keepLast', 'm1:keepLast']);
    expect(planned(runs, { maxTotalSize: 350 })).toEqual([
      'a:maxTotalSize',
      'm1:maxTotalSize',
      'b:maxTotalSize',
      'c:maxTotalSize',
    ]);
    // e is 15 minutes old: no rule takes it inside the default minAge of 1h, nor d inside minAge 3d.
    expect(planned(runs, { keepLast: 1, minAge: '3d' })).toEqual([
      'a:keepLast',
      'm1:keepLast',
      'b:keepLast',
      'c:keepLast',
    ]);
    expect(planned(runs, { maxTotalSize: 0 })).not.toContain('e:maxTotalSize');
    expect(planned(runs, {})).toEqual([]);
  });

  it('rejects bad values in runwarden.yaml with file, line, column and key', () => {
    const file = path.join(ctx.dir, 'runwarden.yaml');
    writeFileSync(
      file,
      `alerts: ${path.join(ctx.dir, 'alerts.yaml')}\narchive:\n  retention:\n    maxTotalSize: lots\n    keepLast: 0\n    maxAge: a month\n`,
    );
    writeFileSync(path.join(ctx.dir, 'alerts.yaml'), 'rules: []\n');
    const load = () => loadConfig({ configPath: file, env: {} });
    expect(load).toThrow(
      `${file}:4:19: archive.retention.maxTotalSize: expected a size like 500MB, 10GB or 2TiB, got "lots"`,
    );
    expect(load).toThrow(`${file}:5:15: archive.retention.keepLast: must be at least 1`);
    expect(load).toThrow(
      `${file}:6:13: archive.retention.maxAge: expected a duration like 100ms, 10s, 30m, 1h or 1d, got "a month"`,
    );
    expect(rules({ maxTotalSize: '1.5GiB' }).maxTotalSize).toBe(1.5 * 1024 ** 3);
  });
});

function setup(retention: Record<string, unknown>, clock: () => number, periodic = false) {
  const config: RunwardenConfig = runwardenConfigSchema.parse({
    redis: { url: ctx.redisUrl, prefix: ctx.prefix },
    paths: {
      worktrees: path.join(ctx.dir, 'w'),
      archive: path.join(ctx.dir, 'a'),
      reports: path.join(ctx.dir, 'r'),
    },
    archive: { retention },
  });
  mkdirSync(config.paths.archive);
  mkdirSync(config.paths.reports);
  const connection = createRedisConnection(ctx.redisUrl);
  const queues = new QueueSet({ connection, prefix: ctx.prefix, config });
  ctx.defer(() => connection.quit());
  ctx.defer(() => queues.close());
  const job = createRetentionJob({
    config,
    queues,
    redisUrl: ctx.redisUrl,
    logger: createLogger({ level: 'silent' }),
    clock,
    periodic,
  });
  ctx.defer(() => job.close());
  const stored = (runId: string, pipeline: string, daysAgo: number, bytes: number) => {
    const zip = path.join(config.paths.archive, `${runId}.zip`);
    writeFileSync(zip, Buffer.alloc(bytes));
    writeFileSync(
      `${zip}.json`,
      JSON.stringify({ runId, verifiedAt: new Date(NOW - daysAgo * DAY).toISOString() }),
    );
    writeFileSync(
      path.join(config.paths.reports, `${runId}_summary.json`),
      JSON.stringify({ runId, pipeline }),
    );
  };
  return { config, queues, job, stored };
}

describe('the retention job', () => {
  it('deletes exactly the archives and reports its rules name, records each in the ledger and its status', async () => {
    let now = NOW;
    const { config, queues, job, stored } = setup(
      { maxAge: '30d', keepLast: 3, minAge: '1d' },
      () => now,
    );
    stored('old', 'etl', 45, 1000);
    for (let i = 1; i <= 4; i += 1) stored(`etl-${i}`, 'etl', 10 - i, 500);
    stored('ml-1', 'ml', 29, 700);

    const first = await job.runOnce();
    expect(first.deleted.map((d) => `${d.runId}:${d.reason}`)).toEqual([
      'old:maxAge',
      'etl-1:keepLast',
    ]);
    expect(readdirSync(config.paths.archive).sort()).toEqual(
      ['etl-2', 'etl-3', 'etl-4', 'ml-1'].flatMap((r) => [`${r}.zip`, `${r}.zip.json`]),
    );
    expect(readdirSync(config.paths.reports).sort()).toEqual(
      ['etl-2', 'etl-3', 'etl-4', 'ml-1'].map((r) => `${r}_summary.json`),
    );
    const ledger = (await queues.get('ledger').getJobs(['waiting'])).map(
      (j) => j.data as RetentionLedgerEntry,
    );
    expect(ledger.map((e) => [e.kind, e.runId, e.reason, e.bytes]).sort()).toEqual([
      ['retention', 'etl-1', 'keepLast', 500],
      ['retention', 'old', 'maxAge', 1000],
    ]);
    const redis = new Redis(ctx.redisUrl);
    ctx.defer(() => redis.quit());
    expect(await redis.hgetall(retentionStatusKey(ctx.prefix))).toMatchObject({
      lastRunAt: '2026-11-30T12:00:00.000Z',
      lastDeleted: '2',
      lastFreedBytes: '1500',
      archives: '4',
      archiveBytes: '2200',
      totalDeleted: '2',
    });

    // Two days later ml-1 is past maxAge; a new etl archive pushes etl-2 out, but one made an hour ago is kept by minAge.
    now += 2 * DAY;
    stored('etl-5', 'etl', -2 + 1 / 24, 500);
    const second = await job.runOnce();
    expect(second.deleted.map((d) => `${d.runId}:${d.reason}`)).toEqual([
      'ml-1:maxAge',
      'etl-2:keepLast',
    ]);
  });

  it('runs by itself every interval', async () => {
    const { job } = setup({ maxAge: '1d', interval: '1s' }, () => NOW, true);
    const redis = new Redis(ctx.redisUrl);
    ctx.defer(() => redis.quit());
    await waitFor(() => redis.hget(retentionStatusKey(ctx.prefix), 'lastRunAt'), 'a periodic run');
    await job.close();
  });
});
