import { readAlertStats, type Notification } from '@runwarden/alerts';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { createFixture, failedRun, recordingChannel } from './alert-worker.fixture.js';

let ctx: TestContext;
let redis: Redis;
beforeEach(() => {
  ctx = createTestContext('alert-burst');
  redis = new Redis(ctx.redisUrl);
  ctx.defer(() => redis.quit());
});
afterEach(() => ctx.cleanup());

describe('three alert workers on a burst', () => {
  it('send each of 1,000 events once or count it in exactly one digest', async () => {
    const f = createFixture(
      ctx,
      {
        channels: { console: {} },
        rules: [
          {
            name: 'run_failure',
            match: { type: 'run_completed', outcome: 'failed' },
            severity: 'critical',
            throttle: 300,
            groupBy: ['pipeline'],
            channels: ['console'],
          },
        ],
      },
      { logLevel: 'warn' },
    );
    const sink: Notification[] = [];
    for (let i = 0; i < 3; i += 1)
      f.start({ channels: [recordingChannel('console', undefined, sink)] });
    const events = Array.from({ length: 1_000 }, (_, i) =>
      failedRun(`run-${i}`, `pipeline-${i % 4}`),
    );
    await f.queues
      .get('alert')
      .addBulk(events.map((e) => ({ name: e.type, data: e, opts: { jobId: e.id } })));

    const covered = () => sink.reduce((n, s) => n + s.eventCount, 0);
    await waitFor(() => covered() >= 1_000, 'every event to be sent or digested', 45_000);
    await waitFor(async () => {
      const counts = await Promise.all(
        ['alert', 'delivery'].map((q) =>
          f.queues.get(q as 'alert').getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
        ),
      );
      return counts.every((c) => Object.values(c).every((v) => v === 0));
    }, 'the queues to drain');

    const seen = new Map<string, number>();
    for (const n of sink) for (const id of n.eventIds) seen.set(id, (seen.get(id) ?? 0) + 1);
    expect(seen.size).toBe(1_000);
    expect([...seen.values()].every((v) => v === 1)).toBe(true);
    const singles = sink.filter((n) => n.kind === 'alert');
    const digests = sink.filter((n) => n.kind === 'digest');
    const digested = digests.reduce((n, d) => n + d.eventCount, 0);
    expect(singles.length + digested).toBe(1_000);
    // Each group sent its first event at once, so at least one single per pipeline.
    expect(new Set(singles.map((n) => n.events[0]!.pipeline)).size).toBe(4);
    expect(await readAlertStats(redis, ctx.prefix)).toMatchObject({
      sent: singles.length + digests.length,
      held: digested,
      digests: digests.length,
      deadLettered: 0,
    });
    console.error(
      `burst: ${singles.length} sent at once, ${digested} held in ${digests.length} digests`,
    );
  });
});
