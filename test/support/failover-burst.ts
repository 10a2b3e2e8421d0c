/**
 * The whole-system failover check shared by the Cluster and Sentinel tests:
 *
 *   runwarden (`start`, or one process per role) on the topology's URL
 *   ─▶ 200 runs complete in two halves; once the first half is flowing,
 *      kill -9 the master that holds runwarden's keys and complete the second half
 *   ─▶ stall: kill ─▶ first event of the second half enqueued (acknowledged by the new master)
 *   ─▶ audit: every run archived, reported and notified, once; duplicates counted and printed
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type RedisTopology, waitFor } from '@runwarden/testing';
import { auditFaultSystem } from './fault-audit.js';
import { startHttpStandIn, webhookMessages, type HttpStandIn } from './fault-stand-ins.js';
import {
  startFaultSystem,
  webhookAlerts,
  type FaultContext,
  type FaultSystem,
} from './fault-system.js';

export interface FailoverResult {
  stallMs: number;
  duplicates: number;
  delivered: number;
}

export async function failoverBurst(
  topology: RedisTopology,
  mode: 'start' | 'roles',
  label: string,
  runCount = 200,
): Promise<FailoverResult> {
  const ctx = createTestContext(`failover-${mode}`);
  ctx.redisUrl = topology.url;
  ctx.prefix = `{${ctx.prefix}}`; // a hash tag: every key of runwarden's in one Cluster slot
  const fc: FaultContext = { ctx, redis: topology.nodes[0]! };
  try {
    const hook = await startHttpStandIn(ctx);
    const s = startFaultSystem(fc, { alerts: webhookAlerts(hook.url) });
    const runs = Array.from({ length: runCount }, (_, i) => `fo-${String(i).padStart(3, '0')}`);
    for (const runId of runs) s.worktree(runId);
    const roles =
      mode === 'start' ? [s.role('start', ['start', '--no-board'])] : Object.values(s.startAll());
    try {
      return await burst(s, topology, ctx.prefix, runs, mode, label, hook);
    } catch (err) {
      // What each runwarden process said, so that a failover that went wrong can be read in CI's log.
      for (const role of roles)
        console.error(`--- ${role.name} (last warnings and errors)\n${notable(role.output())}`);
      throw err;
    }
  } finally {
    await ctx.cleanup();
  }
}

/** The last 40 lines of a process's output at level warn or above, or not JSON. */
function notable(output: string): string {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '' && !/"level":(10|20|30),/.test(line))
    .slice(-40)
    .join('\n');
}

async function burst(
  s: FaultSystem,
  topology: RedisTopology,
  prefix: string,
  runs: string[],
  mode: 'start' | 'roles',
  label: string,
  hook: HttpStandIn,
): Promise<FailoverResult> {
  await s.waitForLease(120_000);

  const half = runs.length / 2;
  const failed = (r: string) => Number(r.slice(-3)) % 7 === 0;
  s.completeRuns(runs.slice(0, half), failed);
  await waitFor(
    () => s.query('SELECT 1 FROM runwarden_reports').length >= 10,
    'the burst to be flowing',
    120_000,
    100,
  );
  const master = await topology.masterFor(`${prefix}:scanner:lease`);
  const killedAt = Date.now();
  await master.kill(true);
  s.completeRuns(runs.slice(half), failed);

  const second = runs
    .slice(half)
    .map((r) => `'${r}'`)
    .join(',');
  const firstAfter = await waitFor(
    () =>
      s.query<{ at: string }>(
        `SELECT MIN(enqueued_at) AS at FROM runwarden_events WHERE run_id IN (${second}) AND enqueued_at IS NOT NULL`,
      )[0]?.at,
    'the first event after the kill to be enqueued',
    120_000,
    50,
  );
  const stallMs = Date.parse(firstAfter) - killedAt;

  await auditFaultSystem(s, {
    runs,
    received: { webhook: () => webhookMessages(hook) },
    timeoutMs: 420_000,
  }).catch((err: unknown) => {
    report(label, mode, stallMs, hook);
    throw err;
  });
  return report(label, mode, stallMs, hook);
}

function report(
  label: string,
  mode: string,
  stallMs: number,
  hook: Parameters<typeof webhookMessages>[0],
): FailoverResult {
  const ids = webhookMessages(hook).map((m) => m.notificationId);
  const duplicates = ids.length - new Set(ids).size;
  console.log(
    `${label} (${mode}): kill -9 of the master; enqueueing stalled ${(stallMs / 1000).toFixed(1)} s; ${ids.length} webhooks delivered, ${duplicates} duplicate(s)`,
  );
  expect(duplicates).toBeGreaterThanOrEqual(0);
  return { stallMs, duplicates, delivered: ids.length };
}

/**
 * One test file's failover test: its own topology (started once, stopped at
 * the end) and one failover, since a second failover in a healed topology was
 * slow and flaky on a busy machine.
 */
export function describeFailover(
  label: string,
  mode: 'start' | 'roles',
  start: () => Promise<RedisTopology>,
): void {
  describe(`${label} failover`, () => {
    let topology: RedisTopology | undefined;
    beforeAll(async () => {
      topology = await start();
    }, 120_000);
    afterAll(() => topology?.stop(), 60_000);
    const what = mode === 'start' ? 'runwarden start rides' : 'separate roles ride';
    it(
      `${what} out kill -9 of the master: nothing lost or doubled`,
      { timeout: 600_000 },
      async () => {
        await failoverBurst(topology!, mode, label);
      },
    );
  });
}
