import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '@runwarden/testing';
import { claimDelivery, markDeliverySent, releaseDelivery } from './delivery-claim.js';
import type { EventSummary } from './notification.js';
import { reserveSlot } from './pacing.js';
import { readAlertStats } from './stats.js';
import { decide, takeDigest } from './throttle.js';

let ctx: TestContext;
let redis: Redis;
beforeEach(() => {
  ctx = createTestContext('throttle');
  redis = new Redis(ctx.redisUrl);
  ctx.defer(() => redis.quit());
});
afterEach(() => ctx.cleanup());

const ev = (i: number): EventSummary => ({
  id: `r${i}.completed`,
  type: 'run_completed',
  runId: `r${i}`,
  pipeline: 'etl',
  detectedAt: new Date(i).toISOString(),
  text: `run r${i} failed`,
});
const base = () => ({
  prefix: ctx.prefix,
  rule: 'run_failure',
  throttleMs: 1_000,
  groupHash: 'g1',
  ttlMs: 60_000,
});

describe('throttle windows', () => {
  it('sends the first event of a window, holds the rest, and digests them once', async () => {
    expect(await decide(redis, { ...base(), event: ev(1), now: 10_000 })).toEqual({
      action: 'send',
      replay: false,
      firstHeld: false,
      windowStart: 10_000,
      windowEnd: 11_000,
    });
    expect(await decide(redis, { ...base(), event: ev(2), now: 10_500 })).toMatchObject({
      action: 'held',
      firstHeld: true,
    });
    expect(await decide(redis, { ...base(), event: ev(3), now: 10_999 })).toMatchObject({
      action: 'held',
      firstHeld: false,
    });
    // A redelivered event gets its first answer again and is not held twice.
    expect(await decide(redis, { ...base(), event: ev(2), now: 10_600 })).toMatchObject({
      action: 'held',
      replay: true,
      windowStart: 10_000,
    });

    const taken = await takeDigest(redis, { ...base(), windowStart: 10_000 });
    expect(taken.map((e) => e.id)).toEqual(['r2.completed', 'r3.completed']);
    // A replayed digest job sees the same events; nothing is counted twice.
    expect((await takeDigest(redis, { ...base(), windowStart: 10_000 })).map((e) => e.id)).toEqual([
      'r2.completed',
      'r3.completed',
    ]);
    expect(await readAlertStats(redis, ctx.prefix)).toMatchObject({ held: 2, digests: 1 });
  });

  it('starts a new window once the old one ended or its digest was taken', async () => {
    await decide(redis, { ...base(), event: ev(1), now: 0 });
    expect((await decide(redis, { ...base(), event: ev(2), now: 1_000 })).action).toBe('send');
    await takeDigest(redis, { ...base(), windowStart: 1_000 });
    // The clock says the window is still open, but its digest is gone: held events would be stranded, so send.
    expect(await decide(redis, { ...base(), event: ev(3), now: 1_200 })).toMatchObject({
      action: 'send',
      windowStart: 1_200,
    });
  });

  it('never throttles a rule without a throttle window', async () => {
    for (const i of [1, 2, 3])
      expect((await decide(redis, { ...base(), throttleMs: 0, event: ev(i), now: 5 })).action).toBe(
        'send',
      );
  });
});

describe('delivery claims', () => {
  it('lets one claimant send, reports sent afterwards, and frees a failed claim', async () => {
    const o = { prefix: ctx.prefix, deliveryId: 'r1.completed.run_failure.slack', leaseMs: 5_000 };
    expect(await claimDelivery(redis, { ...o, token: 'a' })).toBe('claimed');
    expect(await claimDelivery(redis, { ...o, token: 'b' })).toBe('busy');
    await releaseDelivery(redis, ctx.prefix, o.deliveryId, 'a');
    expect(await claimDelivery(redis, { ...o, token: 'b' })).toBe('claimed');
    await markDeliverySent(redis, ctx.prefix, o.deliveryId, 60_000);
    expect(await claimDelivery(redis, { ...o, token: 'c' })).toBe('sent');
    expect(await readAlertStats(redis, ctx.prefix)).toMatchObject({ sent: 1, deduplicated: 1 });
  });
});

describe('channel pacing', () => {
  it('hands out one slot per interval and refuses far ones', async () => {
    const waits = [];
    for (let i = 0; i < 3; i += 1)
      waits.push(await reserveSlot(redis, ctx.prefix, 'slack', 1_000, 1_500, 50_000));
    expect(waits).toEqual([0, 1_000, -2_000]);
  });
});
