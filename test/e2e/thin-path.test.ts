import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { startTestSystem, unzipTest } from '../support/system.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('e2e');
});
afterEach(() => ctx.cleanup());

describe('a run that completes in the orchestration database', () => {
  it('is detected, archived, reported and alerted, and the ledger records it all', async () => {
    const system = await startTestSystem(ctx);
    const { pipeline } = system;
    system.worktree('run-42');
    pipeline.run({ runId: 'run-42', pipeline: 'nightly-etl', state: 'running' });
    pipeline.step({
      stepId: 'run-42.extract',
      runId: 'run-42',
      name: 'extract',
      state: 'succeeded',
    });
    pipeline.step({
      stepId: 'run-42.transform',
      runId: 'run-42',
      name: 'transform',
      state: 'running',
    });
    pipeline.step({ stepId: 'run-42.load', runId: 'run-42', name: 'load', state: 'pending' });
    await waitFor(
      () => system.rows('runwarden_events', 'run-42').some((e) => e.type === 'run_started'),
      'run_started to be recorded',
    );

    pipeline.step({
      stepId: 'run-42.transform',
      runId: 'run-42',
      name: 'transform',
      state: 'failed',
      error: "KeyError: 'customer_id'",
    });
    pipeline.step({ stepId: 'run-42.load', runId: 'run-42', name: 'load', state: 'skipped' });
    pipeline.run({ runId: 'run-42', pipeline: 'nightly-etl', state: 'failed' });

    const reportFile = path.join(system.config.paths.reports, 'run-42_summary.json');
    const report = await waitFor(() => {
      try {
        return JSON.parse(readFileSync(reportFile, 'utf8'));
      } catch {
        return undefined;
      }
    }, 'the report');
    expect(report).toMatchObject({
      schemaVersion: 1,
      runId: 'run-42',
      pipeline: 'nightly-etl',
      outcome: 'failed',
      steps: { counts: { succeeded: 1, failed: 1, skipped: 1, total: 3 } },
      failures: [{ stepId: 'run-42.transform', error: "KeyError: 'customer_id'" }],
      archive: { status: 'archived', entries: 3, verified: true },
    });
    expect(unzipTest(report.archive.path)).toMatch(/No errors detected/);

    const printed = await waitFor(
      () =>
        /run-42/.test(system.console()) && /CRITICAL/.test(system.console()) && system.console(),
      'the console alert',
    );
    expect(printed).toMatch(/\[ALERT\] \S+ - CRITICAL/);
    expect(printed).toContain('run-42');

    await waitFor(
      () =>
        system.rows('runwarden_reports', 'run-42').length === 1 &&
        system.rows('runwarden_archives', 'run-42').length === 1,
      'the ledger rows',
    );
    expect(system.rows('runwarden_archives', 'run-42')[0]).toMatchObject({
      status: 'archived',
      verified: 1,
    });
    await waitFor(
      () =>
        system
          .rows('runwarden_alerts', 'run-42')
          .some((a) => a.status === 'sent' && a.rule === 'run_failure'),
      'the alert delivery in the ledger',
    );
    const events = system
      .rows('runwarden_events', 'run-42')
      .map((e) => e.type)
      .sort();
    expect(events).toEqual(['run_completed', 'run_started', 'step_failed']);
  });
});
