/**
 * Email about a failed run through the whole flow (scanner, workers, a real
 * SMTP server): the first alert goes at once, while the report may still be
 * in the making, and says which; the digest that follows at the end of the
 * throttle window attaches the report the report worker wrote meanwhile,
 * byte for byte, and both link the run's page on the board.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSmtpStandIn } from '../support/fault-stand-ins.js';
import {
  attachments,
  createTestContext,
  plainText,
  type TestContext,
  waitFor,
} from '@runwarden/testing';
import { startTestSystem, type TestSystem } from '../support/system.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('email-report');
});
afterEach(() => ctx.cleanup());

function failRun(system: TestSystem, runId: string): void {
  system.worktree(runId);
  system.pipeline.run({ runId, pipeline: 'nightly', state: 'running' });
  system.pipeline.step({ stepId: `${runId}.a`, runId, name: 'load', state: 'failed' });
  system.pipeline.run({ runId, pipeline: 'nightly', state: 'failed' });
}

describe('email about a failed run', () => {
  it('attaches the HTML report when it exists at send time, says so when not, and links the board', async () => {
    const smtp = await startSmtpStandIn(ctx, 0);
    const system = await startTestSystem(ctx, {
      roles: ['scanner', 'archive', 'report', 'alert'],
      alerts: {
        channels: {
          email: {
            host: '127.0.0.1',
            port: smtp.port,
            from: 'runwarden@example.test',
            to: 'ops@example.test',
            report: 'attach',
            boardUrl: 'https://board.example/ops/',
          },
        },
        rules: [
          {
            name: 'run_failure',
            match: { type: 'run_completed', outcome: 'failed' },
            severity: 'critical',
            throttle: '3s',
            groupBy: ['pipeline'],
            channels: ['email'],
          },
        ],
      },
    });

    failRun(system, 'night-1');
    const first = await waitFor(() => smtp.accepted[0], 'the first email');
    const firstText = plainText(first.raw);
    expect(firstText).toMatch(
      /The HTML report of run night-1 (is attached \(night-1_summary\.html\)|was not written yet when this email was sent)/,
    );
    expect(firstText).toContain('https://board.example/ops/runs/night-1');

    // Held for the digest at the window's end; its report is written long before that.
    failRun(system, 'night-2');
    const report = path.join(system.config.paths.reports, 'night-2_summary.html');
    await waitFor(() => system.rows('runwarden_reports', 'night-2').length === 1, 'the report');
    const digest = await waitFor(
      () => smtp.accepted.find((m) => m.raw.includes('night-2')),
      'the digest email',
      15_000,
    );
    expect(plainText(digest.raw)).toContain(
      'The HTML report of run night-2 is attached (night-2_summary.html).',
    );
    expect(attachments(digest.raw).get('night-2_summary.html')).toEqual(readFileSync(report));
    expect(plainText(digest.raw)).toContain('https://board.example/ops/runs/night-2');
  });
});
