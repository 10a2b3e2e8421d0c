/**
 * A message the channel accepted is never sent again because Redis refused
 * its "sent" mark for a moment (a failover in progress). A private Redis is
 * made to refuse writes (`min-replicas-to-write 1` with no replica) right
 * after the send, and to accept them again 1.5 s later.
 */
import type { Notification } from '@runwarden/alerts';
import { createRedisConnection, startPrivateRedis, type PrivateRedis } from '@runwarden/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, waitFor } from '@runwarden/testing';
import { createFixture, failedRun, recordingChannel } from './alert-worker.fixture.js';

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(() => redis?.stop());

describe('delivery mark', () => {
  it('is retried in place when Redis refuses writes after the send, so nothing is sent twice', async () => {
    const ctx = createTestContext('delivery-mark');
    ctx.redisUrl = redis.url;
    const admin = createRedisConnection(redis.url);
    ctx.defer(() => admin.disconnect());
    const refuse = (on: boolean) => admin.config('SET', 'min-replicas-to-write', on ? '1' : '0');
    try {
      const sink: Notification[] = [];
      const channel = recordingChannel('console', undefined, sink);
      const send = channel.send.bind(channel);
      channel.send = async (n) => {
        const detail = await send(n);
        await refuse(true);
        setTimeout(() => void refuse(false), 1_500);
        return detail;
      };
      const f = createFixture(ctx, {
        channels: { console: {} },
        rules: [
          {
            name: 'run_failure',
            match: { type: 'run_completed', outcome: 'failed' },
            severity: 'critical',
            channels: ['console'],
          },
        ],
      });
      f.start({ channels: [channel] });
      await f.enqueue(failedRun('m'));
      const delivery = f.queues.get('delivery');
      await waitFor(
        async () => (await delivery.getJobState('m.completed.run_failure.console')) === 'completed',
        'the delivery to complete',
        20_000,
      );
      expect(sink).toHaveLength(1);
      expect(channel.calls).toBe(1);
      expect(await admin.get(`${ctx.prefix}:alerts:delivery:m.completed.run_failure.console`)).toBe(
        'sent',
      );
    } finally {
      await refuse(false);
      await ctx.cleanup();
    }
  }, 40_000);
});
