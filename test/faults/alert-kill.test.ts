/**
 * kill -9 the alert worker between sending and recording.
 *
 * The webhook stand-in takes the first notification in and never answers, so
 * the worker is killed with the message at the receiver and nothing recorded.
 * packages/alerts/src/delivery-claim.ts promises: claim ─▶ send ─▶ mark sent,
 * no loss; the residual risk is one more copy of that notification on retry,
 * with the same Idempotency-Key so the receiver can drop it. The audit allows
 * exactly that one extra copy of exactly that notification, nothing else.
 *
 * The delivery job is retried once BullMQ sees it stalled (its lock, 30 s for
 * the alert worker, lapses), so this test waits ~30 s by design; the stalled
 * check marker is cleared so the new worker checks at once.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '@runwarden/testing';
import { auditFaultSystem } from '../support/fault-audit.js';
import { startHttpStandIn, webhookMessages } from '../support/fault-stand-ins.js';
import { faultContextPerTest, startFaultSystem, webhookAlerts } from '../support/fault-system.js';

const newFaultContext = faultContextPerTest();

describe('an alert worker killed after the receiver got a notification, before it was recorded', () => {
  it('is delivered again at most once (the documented residual risk), and every other alert exactly once', async () => {
    const fc = await newFaultContext('alert');
    const hook = await startHttpStandIn(fc.ctx);
    hook.answer = (_req, index) => (index === 0 ? 'hang' : { status: 200 });
    const s = startFaultSystem(fc, { alerts: webhookAlerts(hook.url) });
    const runs = ['k-1', 'k-2', 'k-3'];
    for (const runId of runs) s.worktree(runId);
    const roles = s.startAll();
    await s.waitForLease();

    s.completeRuns(['k-1']);
    const hung = await waitFor(
      () => hook.requests.find((r) => r.answer === 'hang'),
      'the webhook to receive the first notification',
      60_000,
    );
    const notificationId = String(hung.headers['idempotency-key']);
    expect(notificationId).toBe('k-1.completed.run_completed');
    expect(await roles.alert.stop('SIGKILL')).toBe('SIGKILL');
    expect(
      s.query("SELECT * FROM runwarden_alerts WHERE status = 'sent'"),
      'nothing recorded as sent yet',
    ).toEqual([]);
    const stats = await s.client().hgetall(`${s.ctx.prefix}:alerts:stats`);
    expect(Number(stats.sent ?? 0), 'alerts:stats counts nothing sent yet').toBe(0);

    s.completeRuns(['k-2', 'k-3'], (r) => r === 'k-3');
    await s.client().del(`${s.ctx.prefix}:delivery:stalled-check`);
    s.role('alert-2', ['worker', 'alert']);

    await auditFaultSystem(s, {
      runs,
      received: { webhook: () => webhookMessages(hook) },
      residualDuplicates: [notificationId],
      timeoutMs: 120_000,
    });
    const copies = webhookMessages(hook).filter((m) => m.notificationId === notificationId).length;
    expect(
      copies,
      `copies of ${notificationId}: the one the dead worker sent, and at most one retry`,
    ).toBeGreaterThanOrEqual(1);
    expect(
      s.query('SELECT * FROM runwarden_alerts WHERE delivery_id = ?', `${notificationId}.webhook`),
      'recorded once',
    ).toHaveLength(1);
  });
});
