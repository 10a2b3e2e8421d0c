/**
 * The archive filesystem is full: a 1 MiB tmpfs mounted as the archive
 * folder when this runs as root and may mount (CI does), else the same
 * archive folder on the normal disk with a huge archive.diskSpaceFactor.
 * Either way the archive fails for good with a recorded reason, an
 * archival_failed alert goes out, the report is still written (saying why
 * there is no archive), and the dead letter is there: it should be.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditFaultSystem } from '../support/fault-audit.js';
import { startHttpStandIn, webhookMessages } from '../support/fault-stand-ins.js';
import {
  faultContextPerTest,
  startFaultSystem,
  webhookAlerts,
  type FaultContext,
} from '../support/fault-system.js';

const newFaultContext = faultContextPerTest();

/** Mounts a tiny tmpfs at `dir`; false when this process may not mount. */
function mountTinyFilesystem(fcx: FaultContext, dir: string): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return false;
  }
  fcx.ctx.defer(() => execFileSync('umount', ['-l', dir], { stdio: 'ignore' }));
  return true;
}

describe('a full archive filesystem', () => {
  it('fails the archive for good with a reason, alerts archival_failed, still writes the report, dead-letters the job', async () => {
    const fc = await newFaultContext('disk');
    const hook = await startHttpStandIn(fc.ctx);
    const archiveDir = path.join(fc.ctx.dir, 'tiny-archive');
    const tmpfs = mountTinyFilesystem(fc, archiveDir);
    const s = startFaultSystem(fc, {
      alerts: webhookAlerts(hook.url),
      archiveDir,
      configYaml: tmpfs ? '' : 'archive: { diskSpaceFactor: 1000000000 }',
    });
    const runs = ['full-1', 'full-2'];
    // 2 MiB each: more than the 1 MiB tmpfs holds (and far under 1e9 × its size elsewhere).
    for (const runId of runs) s.worktree(runId, 2 * 1024 * 1024);
    s.startAll();
    await s.waitForLease();
    s.completeRuns(runs, (r) => r === 'full-2');

    await auditFaultSystem(s, {
      runs,
      archiveFailures: { 'full-1': /not enough free space/, 'full-2': /not enough free space/ },
      deadLetters: ['archive.full-1.completed', 'archive.full-2.completed'],
      received: { webhook: () => webhookMessages(hook) },
    });
    const archivalAlerts = webhookMessages(hook).filter((m) =>
      m.notificationId?.endsWith('.archival_failed.archival_failure'),
    );
    expect(
      archivalAlerts.map((m) => m.notificationId).sort(),
      'one archival_failed alert per run',
    ).toEqual(runs.map((r) => `${r}.archival_failed.archival_failure`));
  });
});
