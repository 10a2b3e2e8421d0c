import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QUEUES, type RunwardenEvent } from '@runwarden/core';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { createScannerFixture, type ScannerFixture } from './scanner.fixture.js';

let ctx: TestContext;
let fx: ScannerFixture;
beforeEach(() => {
  ctx = createTestContext('scanner');
  fx = createScannerFixture(ctx);
});
afterEach(() => ctx.cleanup());

const alertJob = (id: string) => fx.queues.get(QUEUES.alert).getJob(id);
const alertIds = async () =>
  (
    await fx.queues
      .get(QUEUES.alert)
      .getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])
  )
    .map((j) => j.id)
    .sort();

async function startLeader() {
  const scanner = fx.scanner();
  await scanner.start();
  await waitFor(() => scanner.isLeader(), 'the scanner to hold the lease');
  return scanner;
}

describe('scanner events and routing', () => {
  it('routes run_completed to a report flow with an archive child, and to alert, with the event id as job id', async () => {
    fx.writer.run({ runId: 'run-42', pipeline: 'etl', state: 'running' });
    fx.writer.step({ stepId: 's1', runId: 'run-42', state: 'succeeded' });
    fx.writer.step({
      stepId: 's2',
      runId: 'run-42',
      state: 'failed',
      error: 'boom',
      finishedAt: fx.iso(),
    });
    fx.writer.run({ runId: 'run-42', pipeline: 'etl', state: 'failed' });
    await startLeader();
    const alert = await waitFor(() => alertJob('run-42.completed'), 'the run_completed alert job');
    const event = alert.data as RunwardenEvent;
    expect(event).toMatchObject({
      type: 'run_completed',
      outcome: 'failed',
      stepCounts: { succeeded: 1, failed: 1, total: 2 },
      changedAt: fx.iso(),
    });
    // The alert job carries no step list (bounded payloads); the report job has it.
    expect(event).toHaveProperty('run.steps', []);
    expect(event).toHaveProperty('run.omittedSteps', 2);
    const report = await fx.queues.get(QUEUES.report).getJob('run-42.completed');
    const reported = report?.data as RunwardenEvent;
    expect(reported.type === 'run_completed' && reported.run.steps.map((s) => s.stepId)).toEqual([
      's1',
      's2',
    ]);
    expect(reported).not.toHaveProperty('run.omittedSteps');
    const archive = await fx.queues.get(QUEUES.archive).getJob('run-42.completed');
    expect(report?.name).toBe('run_completed');
    expect(await report?.getState()).toBe('waiting-children');
    expect(archive?.parent?.id).toBe('run-42.completed');
    expect(archive?.opts.ignoreDependencyOnFailure).toBe(true);
    expect(archive?.opts.attempts).toBe(fx.config.queues.archive.attempts);
    expect(await alertIds()).toEqual(['run-42.completed', 'run-42.step.s2.failed.1']);
  });

  it('detects a run that starts and completes while the scanner watches, with no steps, and announces nothing twice', async () => {
    const scanner = await startLeader();
    fx.writer.run({ runId: 'r1', state: 'pending' });
    await waitFor(() => alertJob('r1.started'), 'run_started');
    fx.writer.run({ runId: 'r1', state: 'succeeded' });
    await waitFor(() => alertJob('r1.completed'), 'run_completed');
    const again = await scanner.scanNow();
    expect(again.events).toEqual([]);
    // A second scanner on the same database (fresh memory) finds nothing new either.
    await scanner.close();
    const other = await startLeader();
    expect((await other.scanNow()).events).toEqual([]);
    expect(await alertIds()).toEqual(['r1.completed', 'r1.started']);
  });

  it('completes a run whose steps are all terminal while the run still says running; and a canceled run', async () => {
    await startLeader();
    fx.writer.run({ runId: 'a', state: 'running' });
    fx.writer.step({ stepId: 'a1', runId: 'a', state: 'succeeded' });
    fx.writer.step({ stepId: 'a2', runId: 'a', state: 'skipped' });
    fx.writer.run({ runId: 'c', state: 'canceled' });
    const a = await waitFor(() => alertJob('a.completed'), 'a completed');
    const c = await waitFor(() => alertJob('c.completed'), 'c completed');
    expect(a.data).toMatchObject({
      outcome: 'succeeded',
      stepCounts: { succeeded: 1, skipped: 1, total: 2 },
    });
    expect(c.data).toMatchObject({ outcome: 'canceled' });
  });

  it('announces a step that fails, is retried under the same id and fails again, twice', async () => {
    await startLeader();
    fx.writer.run({ runId: 'r', state: 'running' });
    fx.writer.step({ stepId: 'load', runId: 'r', state: 'pending' });
    fx.writer.step({
      stepId: 'x',
      runId: 'r',
      state: 'failed',
      finishedAt: fx.iso(),
      error: 'first',
    });
    await waitFor(() => alertJob('r.step.x.failed.1'), 'first failure');
    fx.clock.now += 1_000;
    fx.writer.step({ stepId: 'x', runId: 'r', state: 'running' });
    fx.writer.step({
      stepId: 'x',
      runId: 'r',
      state: 'failed',
      finishedAt: fx.iso(),
      error: 'second',
    });
    const second = await waitFor(() => alertJob('r.step.x.failed.2'), 'second failure');
    expect(second.data).toMatchObject({ failure: 2, error: 'second' });
  });

  it('stalls a pending run that never starts, and recovers it when it moves (timestamps in unix seconds)', async () => {
    const scanner = await startLeader();
    fx.writer.run({
      runId: 'p',
      state: 'pending',
      createdAt: fx.clock.now / 1000,
      updatedAt: fx.clock.now / 1000,
    });
    await waitFor(() => alertJob('p.started'), 'started');
    fx.clock.now += 400; // past the 300 ms stallThreshold
    await scanner.scanNow();
    const stalled = await waitFor(() => alertJob('p.stalled.1'), 'stalled');
    expect(stalled.data).toMatchObject({ type: 'run_stalled', stall: 1, stalledForMs: 400 });
    fx.writer.run({ runId: 'p', state: 'running', updatedAt: fx.clock.now / 1000 });
    await waitFor(() => alertJob('p.recovered.1'), 'recovered');
  });

  it("puts the run's stalls on its run_completed, the last one ended by the completion itself", async () => {
    const scanner = await startLeader();
    const at = () => fx.clock.now / 1000;
    const iso = (ms: number) => new Date(ms).toISOString();
    const t0 = fx.clock.now;
    fx.writer.run({ runId: 's', state: 'running', createdAt: at(), updatedAt: at() });
    await waitFor(() => alertJob('s.started'), 'started');
    fx.clock.now += 400;
    await scanner.scanNow();
    await waitFor(() => alertJob('s.stalled.1'), 'stall 1');
    const t1 = fx.clock.now;
    fx.writer.run({ runId: 's', state: 'running', createdAt: t0 / 1000, updatedAt: at() });
    await waitFor(() => alertJob('s.recovered.1'), 'recovery 1');
    fx.clock.now += 400;
    await scanner.scanNow();
    await waitFor(() => alertJob('s.stalled.2'), 'stall 2');
    const t2 = fx.clock.now;
    fx.writer.run({ runId: 's', state: 'succeeded', createdAt: t0 / 1000, updatedAt: at() });
    const completed = await waitFor(() => alertJob('s.completed'), 'completed');
    expect(completed.data.stalls).toEqual([
      { stall: 1, from: iso(t0), to: iso(t1) },
      { stall: 2, from: iso(t1), to: iso(t2) },
    ]);
  });

  it('keeps the status hash and records ledger entries', async () => {
    await startLeader();
    fx.writer.run({ runId: 'r', state: 'succeeded' });
    await waitFor(() => alertJob('r.completed'), 'completed');
    const { createRedisConnection } = await import('@runwarden/core');
    const redis = createRedisConnection(ctx.redisUrl);
    ctx.defer(() => redis.disconnect());
    // The status hash is written after the jobs are added: wait for the scan to finish.
    const status = await waitFor(async () => {
      const hash = await redis.hgetall(`${ctx.prefix}:scanner:status`);
      return hash.eventsEnqueued ? hash : undefined;
    }, 'the status hash');
    expect(status).toMatchObject({ activeRuns: '0', eventsEnqueued: '1' });
    expect(status.holder).toBeTruthy();
    expect(Date.parse(status.lastScanAt ?? '')).toBeGreaterThan(0);
    await fx.queues.recordLedger({
      kind: 'report',
      eventId: 'r.completed',
      runId: 'r',
      path: 'reports/r_summary.json',
      outcome: 'succeeded',
      at: fx.iso(),
    });
    await waitFor(
      () =>
        fx.writer.db
          .prepare('SELECT path FROM runwarden_reports WHERE event_id = ?')
          .pluck()
          .get('r.completed'),
      'the report ledger row',
    );
  });
});
