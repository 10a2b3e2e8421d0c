/**
 * kill -9 the scanner between the outbox write and the enqueue.
 *
 * To land the kill exactly there, Redis is frozen (SIGSTOP): the scanner
 * still holds its lease for up to leaseTtl (5 s here), so it scans, records
 * the events in runwarden_events, and then hangs on the fence before
 * enqueueing. Before freezing, the test waits for the status hash that ends
 * each scan, and there is no periodic full scan (pollInterval 1h): a scan in
 * flight when Redis freezes would hang on its Redis calls before seeing the
 * runs. The lease is long (15 s) so a slow machine still scans inside it;
 * once its holder is dead the test deletes the lease key rather than wait
 * out the TTL (what a lapse would do, sooner). The test
 * sees the rows with enqueued_at NULL and no job in any queue, kills the
 * scanner, thaws Redis and starts a new one, which must replay them.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '@runwarden/testing';
import { auditFaultSystem } from '../support/fault-audit.js';
import { startHttpStandIn, webhookMessages } from '../support/fault-stand-ins.js';
import { faultContextPerTest, startFaultSystem, webhookAlerts } from '../support/fault-system.js';

const newFaultContext = faultContextPerTest();

describe('a scanner killed between the outbox write and the enqueue', () => {
  it('is replaced by one that enqueues the recorded events once, and nothing is doubled', async () => {
    const fc = await newFaultContext('scanner');
    const hook = await startHttpStandIn(fc.ctx);
    const s = startFaultSystem(fc, {
      alerts: webhookAlerts(hook.url),
      scanner: '{ pollInterval: 1h, stallThreshold: 1h, changeCheckInterval: 50ms, leaseTtl: 15s }',
    });

    const first = ['a-1', 'a-2', 'a-3', 'a-4', 'a-5'];
    for (const runId of first) s.worktree(runId);
    const roles = s.startAll();
    await s.waitForLease();
    s.startRuns(first);
    const enqueuedCount = (type: string, ids: readonly string[]) =>
      s.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM runwarden_events WHERE type = ? AND enqueued_at IS NOT NULL AND run_id IN (${ids.map(() => '?').join(',')})`,
        type,
        ...ids,
      )[0]!.n;
    await waitFor(
      () => enqueuedCount('run_started', first) === first.length,
      'run_started of every run to be enqueued',
      30_000,
    );
    const redis = s.client();
    const statusKey = `${s.ctx.prefix}:scanner:status`;
    await waitFor(
      async () => (await redis.hget(statusKey, 'activeRuns')) === String(first.length),
      'the scan to finish (its status written)',
      30_000,
    );
    const leaseKey = `${s.ctx.prefix}:scanner:lease`;

    // Freeze Redis, then complete the runs: the scan records them, the enqueue hangs.
    s.redis.process.kill('SIGSTOP');
    s.completeRuns(first, (r) => r === 'a-2' || r === 'a-4');
    const recorded = await waitFor(
      () => {
        const rows = s.query<{ id: string; enqueued_at: string | null }>(
          "SELECT id, enqueued_at FROM runwarden_events WHERE type = 'run_completed'",
        );
        return rows.length === first.length ? rows : undefined;
      },
      'the scanner to record the completions in the outbox',
      20_000,
    ).catch((err: unknown) => {
      throw new Error(
        `${(err as Error).message}; scanner output:\n${roles.scanner.output().slice(-3000)}`,
        { cause: err },
      );
    });
    expect(
      recorded.every((r) => r.enqueued_at === null),
      'recorded, not marked enqueued',
    ).toBe(true);
    expect(await roles.scanner.stop('SIGKILL')).toBe('SIGKILL');
    s.redis.process.kill('SIGCONT');
    await redis.del(leaseKey);

    // Nothing reached the queues: the kill landed between the outbox write and the enqueue.
    for (const runId of first)
      expect(
        await s.queue('archive').getJob(`${runId}.completed`),
        `archive job of ${runId}`,
      ).toBeUndefined();

    const successor = s.role('scanner-2', ['scanner']);
    await waitFor(
      () => enqueuedCount('run_completed', first) === first.length,
      'the new scanner to replay the outbox',
      60_000,
    );
    await waitFor(
      () =>
        /Re-enqueued run_completed a-1\.completed/.test(successor.output()) && successor.output(),
      'the replay to be logged',
    );

    // Once the first batch is handled and recorded, kill it again right after more runs complete, and restart.
    await waitFor(
      () => s.query('SELECT 1 FROM runwarden_reports').length === first.length,
      'the first batch to be reported and recorded',
      60_000,
    );
    const second = ['b-1', 'b-2', 'b-3'];
    for (const runId of second) s.worktree(runId);
    s.completeRuns(second, (r) => r === 'b-2');
    await waitFor(
      () =>
        s.query("SELECT 1 FROM runwarden_events WHERE run_id = 'b-3' AND type = 'run_completed'")
          .length > 0,
      'b-3 to be recorded',
    );
    await successor.stop('SIGKILL');
    await redis.del(leaseKey);
    // A ledger job the dead scanner held comes back once its 30 s lock lapses; let the next check find it at once.
    await redis.del(`${s.ctx.prefix}:ledger:stalled-check`);
    s.role('scanner-3', ['scanner']);

    await auditFaultSystem(s, {
      runs: [...first, ...second],
      received: { webhook: () => webhookMessages(hook) },
    });
  });
});
