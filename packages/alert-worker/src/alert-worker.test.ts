import type { AlertLedgerEntry } from '@runwarden/core';
import { readAlertStats, type Notification } from '@runwarden/alerts';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import {
  createFixture,
  failedRun,
  permanent,
  recordingChannel,
  transient,
} from './alert-worker.fixture.js';

let ctx: TestContext;
let redis: Redis;
beforeEach(() => {
  ctx = createTestContext('alert-worker');
  redis = new Redis(ctx.redisUrl);
  ctx.defer(() => redis.quit());
});
afterEach(() => ctx.cleanup());

const rule = (extra: object = {}) => ({
  name: 'run_failure',
  match: { type: 'run_completed', outcome: 'failed' },
  severity: 'critical',
  groupBy: ['pipeline'],
  channels: ['console'],
  ...extra,
});

async function ledger(f: ReturnType<typeof createFixture>): Promise<AlertLedgerEntry[]> {
  const jobs = await f.queues.get('ledger').getJobs(['waiting', 'delayed', 'prioritized']);
  return jobs.map((j) => j.data as AlertLedgerEntry);
}

async function finished(
  f: ReturnType<typeof createFixture>,
  queue: 'alert' | 'delivery',
  jobId: string,
): Promise<void> {
  await waitFor(
    async () => ['completed', 'failed'].includes(await f.queues.get(queue).getJobState(jobId)),
    `${queue} job ${jobId} to finish`,
  );
}

describe('alert worker', () => {
  it('prints a failed run on the console in the seed format once, even when the event is replayed', async () => {
    const f = createFixture(ctx, {
      channels: { console: { color: 'never' } },
      rules: [rule({ throttle: '15m' })],
    });
    f.start();
    await f.enqueue(failedRun('42'));
    await waitFor(() => f.consoleText().includes('[ALERT]'), 'the console alert');
    expect(f.consoleText()).toMatch(
      /^\[ALERT\] \d{4}-\d\d-\d\dT[\d:.]+Z - CRITICAL\n {2}rule: {2}run_failure\n {2}event: run_completed \(42\.completed\)\n {2}run: {3}42 \(pipeline etl\)\n {2}steps: 4\/5\n {2}run 42 failed \(4\/5 steps\)\n$/,
    );
    expect(f.consoleText()).not.toContain('\x1b[');

    await f.enqueue(failedRun('42'), 'replay-of-42');
    await finished(f, 'alert', 'replay-of-42');
    expect(f.consoleText().match(/\[ALERT\]/g)).toHaveLength(1);
    const sent = (await ledger(f)).filter((e) => e.status === 'sent');
    expect(sent).toEqual([
      expect.objectContaining({
        deliveryId: '42.completed.run_failure.console',
        channel: 'console',
        eventIds: ['42.completed'],
        runId: '42',
      }),
    ]);
    expect(await readAlertStats(redis, ctx.prefix)).toMatchObject({ sent: 1, held: 0 });
  });

  it('holds later events of a window and sends them as one digest, then opens a new window', async () => {
    let now = 1_000_000;
    const sink: Notification[] = [];
    const f = createFixture(ctx, { channels: { console: {} }, rules: [rule({ throttle: 400 })] });
    f.start({ clock: () => now, channels: [recordingChannel('console', undefined, sink)] });
    await f.enqueue(failedRun('a'));
    await waitFor(() => sink.length === 1, 'the first alert');
    now += 100;
    await f.enqueue(failedRun('b'));
    await f.enqueue(failedRun('c'));
    await f.enqueue(failedRun('other', 'ml')); // another group: its own window
    await waitFor(() => sink.find((n) => n.kind === 'digest'), 'the digest');
    const digest = sink.find((n) => n.kind === 'digest')!;
    expect(digest.eventIds.sort()).toEqual(['b.completed', 'c.completed']);
    expect(digest.title).toContain('2 more run_failure alert(s) for 2 run(s)');
    expect(sink.filter((n) => n.kind === 'alert').map((n) => n.eventIds[0])).toEqual([
      'a.completed',
      'other.completed',
    ]);
    now += 1_000;
    await f.enqueue(failedRun('d'));
    await waitFor(
      () => sink.some((n) => n.eventIds.includes('d.completed')),
      'the alert of the next window',
    );
    expect(sink.find((n) => n.eventIds.includes('d.completed'))!.kind).toBe('alert');
    expect(
      (await ledger(f))
        .filter((e) => e.status === 'held')
        .map((e) => e.eventId)
        .sort(),
    ).toEqual(['b.completed', 'c.completed']);
  });

  it('records "held" and "sent" again when the attempt that decided lost its ledger job (kill -9, failover)', async () => {
    let now = 1_000_000;
    const sink: Notification[] = [];
    const f = createFixture(ctx, {
      channels: { console: {} },
      rules: [rule({ throttle: 60_000 })],
    });
    f.start({ clock: () => now, channels: [recordingChannel('console', undefined, sink)] });
    await f.enqueue(failedRun('a'));
    await finished(f, 'alert', 'a.completed');
    await finished(f, 'delivery', 'a.completed.run_failure.console');
    now += 100;
    await f.enqueue(failedRun('b'));
    await finished(f, 'alert', 'b.completed');
    expect((await ledger(f)).map((e) => `${e.eventId} ${e.status}`).sort()).toEqual([
      'a.completed sent',
      'b.completed held',
    ]);
    // What a failover to a replica that lacks the last writes leaves behind: the throttle decision
    // and the "sent" mark survived; the ledger jobs and the delivery job's completion did not.
    const ledgerQueue = f.queues.get('ledger');
    await ledgerQueue.remove('alert.a.completed.run_failure.console.sent');
    await ledgerQueue.remove('alert.b.completed.run_failure.held');
    await f.queues.get('delivery').remove('a.completed.run_failure.console');
    await f.enqueue(failedRun('a'), 'retry-of-a');
    await f.enqueue(failedRun('b'), 'retry-of-b');
    await finished(f, 'alert', 'retry-of-a');
    await finished(f, 'alert', 'retry-of-b');
    await finished(f, 'delivery', 'a.completed.run_failure.console');
    expect((await ledger(f)).map((e) => `${e.eventId} ${e.status}`).sort()).toEqual([
      'a.completed sent',
      'b.completed held',
    ]);
    expect(sink.map((n) => n.eventIds)).toEqual([['a.completed']]); // not sent twice
  });

  it('records an event no rule matches instead of dropping it', async () => {
    const f = createFixture(
      ctx,
      { channels: { console: {} }, rules: [rule()] },
      { logLevel: 'debug' },
    );
    f.start();
    await f.enqueue({
      id: '7.started',
      type: 'run_started',
      runId: '7',
      pipeline: 'etl',
      detectedAt: new Date().toISOString(),
      state: 'running',
    });
    await finished(f, 'alert', '7.started');
    expect(await ledger(f)).toEqual([
      expect.objectContaining({
        eventId: '7.started',
        status: 'skipped',
        detail: 'no alert rule matches this event',
      }),
    ]);
    expect((await readAlertStats(redis, ctx.prefix)).unmatched).toBe(1);
    expect(
      f.logs().some((l) => l.level === 20 && String(l.msg).includes('matches no alert rule')),
    ).toBe(true);
  });

  it('retries a failing channel alone, never re-sending the others', async () => {
    const f = createFixture(
      ctx,
      { channels: { console: {} }, rules: [rule({ channels: ['console', 'slack'] })] },
      { attempts: 5 },
    );
    const consoleCh = recordingChannel('console');
    const slack = recordingChannel('slack', (call) => (call <= 2 ? transient('slack') : undefined));
    f.start({ channels: [consoleCh, slack] });
    await f.enqueue(failedRun('9'));
    await waitFor(() => slack.sent.length === 1, 'slack to succeed on its third try');
    expect(slack.calls).toBe(3);
    expect(consoleCh.calls).toBe(1);
  });

  it('dead-letters a delivery that cannot succeed and announces it on every other channel', async () => {
    const f = createFixture(ctx, {
      channels: { console: {} },
      rules: [rule({ channels: ['console', 'webhook'] })],
    });
    const consoleCh = recordingChannel('console');
    const slack = recordingChannel('slack');
    const webhook = recordingChannel('webhook', () => permanent('webhook'));
    f.start({ channels: [consoleCh, slack, webhook] });
    await f.enqueue(failedRun('13'));
    await waitFor(
      () => consoleCh.sent.some((n) => n.kind === 'dead_letter') && slack.sent.length > 0,
      'the dead-letter announcements',
    );
    const letters = await f.queues.get('dead-letter').getJobs(['waiting']);
    expect(letters.map((j) => j.id)).toEqual(['delivery.13.completed.run_failure.webhook']);
    expect(slack.sent[0]!.title).toContain('to webhook after all retries');
    expect(webhook.calls).toBe(1);
    expect((await readAlertStats(redis, ctx.prefix)).deadLettered).toBe(1);
    expect((await ledger(f)).find((e) => e.status === 'failed')).toMatchObject({
      channel: 'webhook',
      deliveryId: '13.completed.run_failure.webhook',
    });
  });

  it('still sends the digest when the worker restarts in the middle of the window', async () => {
    const f = createFixture(ctx, { channels: { console: {} }, rules: [rule({ throttle: 600 })] });
    const clock = () => 5_000_000; // frozen: every event falls in the first window, however slow the machine
    const first = recordingChannel('console');
    const worker = f.start({ clock, channels: [first] });
    await f.enqueue(failedRun('a'));
    await f.enqueue(failedRun('b'));
    await finished(f, 'alert', 'b.completed');
    await worker.close();
    expect(first.sent.map((n) => n.kind)).toEqual(['alert']);

    const second = recordingChannel('console');
    f.start({ clock, channels: [second] });
    await f.enqueue(failedRun('c'));
    await waitFor(
      () => second.sent.find((n) => n.kind === 'digest'),
      'the digest from the restarted worker',
    );
    expect(second.sent.find((n) => n.kind === 'digest')!.eventIds.sort()).toEqual([
      'b.completed',
      'c.completed',
    ]);
  });
});
