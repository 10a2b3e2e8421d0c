import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { addSilence, parseMatcher } from '@runwarden/alerts';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, runCliProcess, type TestContext, waitFor } from '@runwarden/testing';
import { CONSOLE_RULES, startTestSystem } from '../support/system.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('silence-replay');
});
afterEach(() => ctx.cleanup());

describe('a silence in the whole system', () => {
  it('records covered alerts as silenced in runwarden_alerts, sends nothing, and sends them once when expired with --replay', async () => {
    const system = await startTestSystem(ctx, { roles: ['scanner', 'alert'] });
    const redis = new Redis(ctx.redisUrl);
    ctx.defer(() => redis.quit());
    const silence = await addSilence(
      redis,
      ctx.prefix,
      {
        matchers: [parseMatcher('runId=r1')],
        endsAt: Date.now() + 3_600_000,
        createdBy: 'test',
        comment: 'maintenance',
      },
      Date.now(),
    );
    const { pipeline } = system;
    pipeline.run({ runId: 'r1', pipeline: 'etl', state: 'running' });
    pipeline.step({ stepId: 'r1.a', runId: 'r1', name: 'a', state: 'failed', error: 'boom' });
    pipeline.run({ runId: 'r1', pipeline: 'etl', state: 'failed' });
    const silenced = await waitFor(() => {
      const rows = system.rows('runwarden_alerts', 'r1').filter((r) => r.status === 'silenced');
      return rows.length === 3 ? rows : undefined;
    }, 'three silenced rows (run_failure, step_failure, run_completed)');
    expect(silenced.map((r) => r.rule).sort()).toEqual([
      'run_completed',
      'run_failure',
      'step_failure',
    ]);
    expect(String(silenced[0]!.detail)).toContain(`silenced by ${silence.id} (runId=r1) until `);
    expect(system.console()).toBe('');

    const config = path.join(ctx.dir, 'runwarden.yaml');
    const alerts = path.join(ctx.dir, 'alerts.yaml');
    writeFileSync(alerts, JSON.stringify(CONSOLE_RULES));
    writeFileSync(
      config,
      JSON.stringify({
        database: system.config.database,
        redis: { url: ctx.redisUrl, prefix: ctx.prefix },
        alerts,
      }),
    );
    const res = await runCliProcess([
      'silence',
      'expire',
      silence.id,
      '--replay',
      '--config',
      config,
    ]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Replayed 2 silenced event(s) through the alert rules.');
    await waitFor(
      () => (system.console().match(/\[ALERT\]/g) ?? []).length === 3,
      'the three replayed alerts',
    );
    expect(system.console()).toContain('rule:  run_failure');
    expect(system.console()).toContain('rule:  step_failure');
    expect(system.console()).toContain('rule:  run_completed');
  });
});
