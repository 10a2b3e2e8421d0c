/**
 * kill -9 an archive worker mid-zip: a big worktree (incompressible bytes)
 * so the zip takes a moment; the kill lands while the temp file grows and the
 * job reports progress. No partial file may ever carry the final name, and
 * the job completes on another worker.
 *
 * The second worker takes the job over once BullMQ sees it stalled: the
 * killed worker's lock lapses and a stalled check runs. Both follow
 * `queues.archive.lockDuration`, set to 5 s here (the default is 30 s), so
 * the takeover comes within about 10–15 s of the kill.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '@runwarden/testing';
import { auditFaultSystem } from '../support/fault-audit.js';
import { startHttpStandIn, webhookMessages } from '../support/fault-stand-ins.js';
import { faultContextPerTest, startFaultSystem, webhookAlerts } from '../support/fault-system.js';

const newFaultContext = faultContextPerTest();

describe('an archive worker killed mid-zip', () => {
  it('leaves no file under the final name, and another worker completes the job', async () => {
    const fc = await newFaultContext('archive');
    const hook = await startHttpStandIn(fc.ctx);
    const s = startFaultSystem(fc, {
      alerts: webhookAlerts(hook.url),
      configYaml: 'archive: { concurrency: 1 }',
      queuesYaml: `queues:
  archive: { attempts: 3, backoff: { type: fixed, delay: 200ms }, lockDuration: 5s }
  report: { attempts: 3, backoff: { type: fixed, delay: 200ms } }
  alert: { attempts: 3, backoff: { type: fixed, delay: 200ms } }`,
    });
    const runs = ['small-1', 'big', 'small-2'];
    s.worktree('small-1');
    s.worktree('big', 128 * 1024 * 1024);
    s.worktree('small-2');

    const roles = s.startAll();
    await s.waitForLease();
    s.completeRuns(['big']);
    const temp = () =>
      existsSync(s.archiveDir)
        ? readdirSync(s.archiveDir).find((f) => f.startsWith('.big.zip.tmp-'))
        : undefined;
    const growing = await waitFor(
      () => {
        const t = temp();
        return t && statSync(path.join(s.archiveDir, t), { throwIfNoEntry: false })?.size
          ? t
          : undefined;
      },
      'the zip of run big to be under way (a temp file with bytes in it)',
      60_000,
      5,
    );
    expect(await roles.archive.stop('SIGKILL')).toBe('SIGKILL');
    const job = await s.queue('archive').getJob('big.completed');
    expect(await job!.getState(), 'the job is still active, held by the dead worker').toBe(
      'active',
    );
    expect(readdirSync(s.archiveDir), 'no final zip, only the partial temp file').toContain(
      growing,
    );
    expect(readdirSync(s.archiveDir)).not.toContain('big.zip');

    // More runs complete meanwhile; a second archive worker takes them all, the stalled one too.
    s.completeRuns(['small-1', 'small-2'], (r) => r === 'small-2');
    const second = s.role('archive-2', ['worker', 'archive']);
    await auditFaultSystem(s, {
      runs,
      received: { webhook: () => webhookMessages(hook) },
      timeoutMs: 60_000,
    });
    const done = await s.queue('archive').getJob('big.completed');
    expect(
      done!.attemptsStarted,
      'the job was started again after the kill',
    ).toBeGreaterThanOrEqual(2);
    expect(second.output()).toMatch(/Removed \.big\.zip\.tmp-/);
  });
});
