/**
 * A run of 100,000 steps: its run_completed lists MAX_SNAPSHOT_STEPS of them
 * (failed ones first chosen) and counts the rest, the alert job lists none,
 * and the report says how many more steps the run had.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_SNAPSHOT_STEPS, QUEUES, type RunCompletedEvent } from '@runwarden/core';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { createScannerFixture, type ScannerFixture } from './scanner.fixture.js';

let ctx: TestContext;
let fx: ScannerFixture;
beforeEach(() => {
  ctx = createTestContext('scanner-large');
  fx = createScannerFixture(ctx);
});
afterEach(() => ctx.cleanup());

const STEPS = 100_000;

describe('a run with 100,000 steps', () => {
  it('is announced with a bounded step list and a count of the rest', async () => {
    fx.writer.run({ runId: 'big', state: 'running' });
    const insert = fx.writer.db.prepare(
      "INSERT INTO steps (step_id, run_id, name, state, updated_at, error) VALUES (?, 'big', ?, ?, ?, ?)",
    );
    const at = fx.iso();
    fx.writer.db.transaction(() => {
      for (let i = 0; i < STEPS; i += 1) {
        const failed = i === 77_777;
        insert.run(
          `s${i}`,
          `step ${i}`,
          failed ? 'failed' : 'succeeded',
          at,
          failed ? 'boom' : null,
        );
      }
    })();
    fx.writer.run({ runId: 'big', state: 'failed' });
    const scanner = fx.scanner();
    await scanner.start();
    const job = await waitFor(
      () => fx.queues.get(QUEUES.report).getJob('big.completed'),
      'the report job',
    );
    const event = job.data as RunCompletedEvent;
    expect(event.stepCounts).toMatchObject({ total: STEPS, failed: 1 });
    expect(event.run.steps).toHaveLength(MAX_SNAPSHOT_STEPS);
    expect(event.run.omittedSteps).toBe(STEPS - MAX_SNAPSHOT_STEPS);
    expect(event.run.steps.find((s) => s.state === 'failed')).toMatchObject({
      stepId: 's77777',
      error: 'boom',
    });
    expect(event.run.steps.at(0)?.stepId).toBe('s0');
    expect(JSON.stringify(event).length).toBeLessThan(400_000);
    const alert = await fx.queues.get(QUEUES.alert).getJob('big.completed');
    expect(alert?.data).toHaveProperty('run.steps', []);
    expect(JSON.stringify(alert?.data).length).toBeLessThan(2_000);
    const stepFailed = await fx.queues.get(QUEUES.alert).getJob('big.step.s77777.failed.1');
    expect(stepFailed?.data).toMatchObject({ stepId: 's77777', error: 'boom' });
  });
});
