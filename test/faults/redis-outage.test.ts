/**
 * Stop Redis for 10 s in the middle of a burst of completed runs, then start
 * it again on the same port and folder (AOF on). Every process rides the
 * outage out; everything completes, nothing lost, nothing doubled.
 *
 * The stop is SIGTERM (Redis writes its AOF and exits), the "stop Redis" of
 * the issue; the 10 s outage is the fault's duration, not a wait for an event.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { waitFor } from '@runwarden/testing';
import { auditFaultSystem } from '../support/fault-audit.js';
import { startHttpStandIn, webhookMessages } from '../support/fault-stand-ins.js';
import { faultContextPerTest, startFaultSystem, webhookAlerts } from '../support/fault-system.js';

const newFaultContext = faultContextPerTest();

const OUTAGE_MS = 10_000;

describe('Redis stopped for 10 s mid-burst', () => {
  it('loses and doubles nothing once it is back', async () => {
    const fc = await newFaultContext('redis');
    const hook = await startHttpStandIn(fc.ctx);
    const s = startFaultSystem(fc, { alerts: webhookAlerts(hook.url) });
    const runs = Array.from({ length: 30 }, (_, i) => `burst-${String(i).padStart(2, '0')}`);
    for (const runId of runs) s.worktree(runId);
    const roles = s.startAll();
    s.role('archive-b', ['worker', 'archive']);
    await s.waitForLease();

    const failed = (r: string) => Number(r.slice(-2)) % 5 === 0;
    for (const runId of runs.slice(0, 10)) s.completeRuns([runId], failed);
    await waitFor(
      () => s.query("SELECT 1 FROM runwarden_events WHERE type = 'run_completed'").length >= 5,
      'the burst to be under way',
    );

    await s.redis.kill();
    for (const runId of runs.slice(10)) s.completeRuns([runId], failed);
    await sleep(OUTAGE_MS);
    expect(roles.scanner.child.exitCode, 'the scanner is still running').toBeNull();
    await s.redis.start();

    await auditFaultSystem(s, {
      runs,
      received: { webhook: () => webhookMessages(hook) },
      timeoutMs: 120_000,
    });
    for (const role of [roles.scanner, roles.archive, roles.report, roles.alert])
      expect(role.child.exitCode, `${role.name} rode out the outage`).toBeNull();
  });
});
