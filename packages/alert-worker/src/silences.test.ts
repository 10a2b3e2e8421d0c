import type { AlertLedgerEntry } from '@runwarden/core';
import {
  addSilence,
  expireSilence,
  parseMatcher,
  readAlertStats,
  type Notification,
} from '@runwarden/alerts';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { createFixture, failedRun, recordingChannel } from './alert-worker.fixture.js';

let ctx: TestContext;
let redis: Redis;
beforeEach(() => {
  ctx = createTestContext('silences');
  redis = new Redis(ctx.redisUrl);
  ctx.defer(() => redis.quit());
});
afterEach(() => ctx.cleanup());

const HOUR = 3_600_000;
const RULES = {
  channels: { console: { color: 'never' } },
  rules: [
    {
      name: 'run_failure',
      match: { type: 'run_completed', outcome: 'failed' },
      severity: 'critical',
      channels: ['console'],
    },
  ],
};

async function ledger(f: ReturnType<typeof createFixture>): Promise<AlertLedgerEntry[]> {
  const jobs = await f.queues.get('ledger').getJobs(['waiting', 'delayed', 'prioritized']);
  return jobs.map((j) => j.data as AlertLedgerEntry);
}

describe('silences', () => {
  it('keep two alert workers from sending what they cover, record it as silenced, and end by time', async () => {
    const f = createFixture(ctx, RULES);
    let now = Date.parse('2026-11-30T10:00:00Z');
    const clock = () => now;
    const sent: Notification[] = [];
    const workers = ['w1', 'w2'].map((name) =>
      f.start({
        clock,
        channels: [recordingChannel('console', undefined, sent)],
        alertConcurrency: 1,
        logger: f.logger.child({ worker: name }),
      }),
    );
    expect(workers).toHaveLength(2);
    await addSilence(
      redis,
      ctx.prefix,
      {
        matchers: [parseMatcher('pipeline=nightly-etl'), parseMatcher('runId=~night-.*')],
        endsAt: now + 2 * HOUR,
        createdBy: 'test',
        comment: 'migration',
      },
      now,
    );

    for (let i = 0; i < 20; i += 1) await f.enqueue(failedRun(`night-${i}`, 'nightly-etl'));
    await f.enqueue(failedRun('day-1', 'nightly-etl'));
    await f.enqueue(failedRun('night-x', 'ml'));
    await waitFor(
      async () => (await ledger(f)).filter((e) => e.status === 'silenced').length === 20,
      '20 silenced ledger entries',
    );
    await waitFor(() => sent.length === 2, 'the two unsilenced alerts');
    expect(sent.map((n) => n.events.map((e) => e.runId)).sort()).toEqual([['day-1'], ['night-x']]);
    const silenced = (await ledger(f)).filter((e) => e.status === 'silenced');
    expect(silenced[0]).toMatchObject({
      rule: 'run_failure',
      channel: 'console',
      severity: 'critical',
    });
    expect(silenced[0]!.detail).toMatch(
      /^silenced by [0-9a-f-]{36} \(pipeline=nightly-etl, runId=~night-\.\*\) until 2026-11-30T12:00:00\.000Z$/,
    );
    // Both workers took silenced events, and each checked the shared silence.
    const byWorker = new Set(
      f
        .logs()
        .filter((l) => String(l.msg).includes('silenced by'))
        .map((l) => l.worker),
    );
    expect([...byWorker].sort()).toEqual(['w1', 'w2']);
    expect((await readAlertStats(redis, ctx.prefix)).silenced).toBe(20);

    now += 2 * HOUR; // the silence has ended
    await f.enqueue(failedRun('night-20', 'nightly-etl'));
    await waitFor(() => sent.length === 3, 'the alert after the silence ended');
    expect(sent[2]!.events.map((e) => e.runId)).toEqual(['night-20']);
    // Nothing silenced earlier is replayed.
    expect(
      sent.filter((n) =>
        n.events.map((e) => e.runId).some((r) => /^night-\d$|^night-1\d$/.test(r)),
      ),
    ).toHaveLength(0);
  });

  it('stops covering events once expired by hand', async () => {
    const f = createFixture(ctx, RULES);
    const sent: Notification[] = [];
    f.start({ channels: [recordingChannel('console', undefined, sent)] });
    const s = await addSilence(
      redis,
      ctx.prefix,
      {
        matchers: [parseMatcher('rule=run_failure')],
        endsAt: Date.now() + HOUR,
        createdBy: 'test',
        comment: '',
      },
      Date.now(),
    );
    await f.enqueue(failedRun('a'));
    await waitFor(async () => (await ledger(f)).some((e) => e.status === 'silenced'), 'a silenced');
    await expireSilence(redis, ctx.prefix, s.id.slice(0, 8), Date.now());
    await f.enqueue(failedRun('b'));
    await waitFor(() => sent.length === 1, 'b sent');
    expect(sent[0]!.events.map((e) => e.runId)).toEqual(['b']);
  });
});
