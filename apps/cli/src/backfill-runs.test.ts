import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRedisConnection, QueueSet, QUEUES, runwardenConfigSchema } from '@runwarden/core';
import { createPipelineWriter, openOrchestrationDb, runMigrations } from '@runwarden/store';
import { createTestContext, type TestContext } from '@runwarden/testing';
import { backfillRuns } from './backfill-runs.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('backfill-unit');
});
afterEach(() => ctx.cleanup());

const NOW = Date.parse('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;

function setup() {
  const file = path.join(ctx.dir, 'orchestration.db');
  const pipeline = createPipelineWriter(file);
  ctx.defer(() => pipeline.close());
  const add = (runId: string, name: string, state: string, hoursAgo: number) => {
    const at = new Date(NOW - hoursAgo * HOUR).toISOString();
    pipeline.run({ runId, pipeline: name, state, createdAt: at, finishedAt: at, updatedAt: at });
  };
  add('etl-1', 'etl', 'failed', 2);
  add('etl-2', 'etl', 'succeeded', 30);
  add('ml-1', 'ml', 'succeeded', 3);
  add('etl-running', 'etl', 'running', 1);
  const db = openOrchestrationDb(file);
  ctx.defer(() => db.close());
  runMigrations(db);
  const config = runwardenConfigSchema.parse({ redis: { url: ctx.redisUrl, prefix: ctx.prefix } });
  const redis = createRedisConnection(ctx.redisUrl);
  const queues = new QueueSet({ connection: redis, prefix: ctx.prefix, config });
  ctx.defer(() => redis.quit());
  ctx.defer(() => queues.close());
  return {
    db,
    queues,
    deps: { db, queues, alertTypes: new Set(['run_completed'] as const), clock: () => NOW },
  };
}

describe('backfillRuns', () => {
  it('queues finished runs of one pipeline within the window, with alert jobs unless told not to', async () => {
    const { queues, deps } = setup();
    const result = await backfillRuns(deps, { sinceMs: 24 * HOUR, pipeline: 'etl' });
    expect(result.runs.map((r) => [r.runId, r.outcome])).toEqual([['etl-1', 'failed']]);
    expect(result.queued).toBe(1);
    expect(await queues.get(QUEUES.report).getJob('etl-1.completed')).toBeDefined();
    expect(await queues.get(QUEUES.archive).getJob('etl-1.completed')).toBeDefined();
    expect(await queues.get(QUEUES.alert).getJob('etl-1.completed')).toBeDefined();

    const rest = await backfillRuns(deps, { sinceMs: 48 * HOUR, alerts: false });
    // etl-1 is recorded in the outbox as enqueued and its report job is in Redis: not queued twice.
    expect(rest.runs.map((r) => r.runId)).toEqual(['etl-2', 'ml-1', 'etl-1']);
    expect(rest.queued).toBe(2);
    expect(rest.alreadyQueued).toBe(1);
    expect(await queues.get(QUEUES.alert).getJob('ml-1.completed')).toBeUndefined();
  });

  it('changes nothing on a dry run', async () => {
    const { db, queues, deps } = setup();
    const result = await backfillRuns(deps, { sinceMs: 48 * HOUR, dryRun: true });
    expect(result.runs).toHaveLength(3);
    expect(result.queued).toBe(0);
    expect(db.prepare('SELECT count(*) FROM runwarden_events').pluck().get()).toBe(0);
    expect(await queues.get(QUEUES.report).getJobCounts()).toMatchObject({
      waiting: 0,
      'waiting-children': 0,
    });
  });
});
