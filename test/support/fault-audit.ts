/**
 * The audit every fault test ends with: nothing lost, nothing doubled.
 *
 *   wait until settled (queues drained, every run archived-or-failed and
 *   reported, every event announced or skipped in the ledger)
 *   ─▶ archives: one ledger row per run; archived = a verified zip (`unzip -t`,
 *      sha256), failed = a recorded reason and no zip; no temp file left
 *   ─▶ reports: one file and one ledger row per run, no other file
 *   ─▶ queues: one archive job and one report job per run, by deterministic id
 *   ─▶ alerts: every event that matches a rule was sent once per channel or
 *      held and counted in exactly one digest; the rest recorded as unmatched
 *      (or, when no rule can match their type, never routed to alerts);
 *      what the stand-ins received matches the ledger one for one
 *   ─▶ dead-letter: exactly the letters the test expects
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { matchRules } from '@runwarden/alerts';
import type { RunwardenEvent } from '@runwarden/core';
import { waitFor } from '@runwarden/testing';
import type { FaultSystem } from './fault-system.js';
import { unzipTest } from './system.js';

export interface ReceivedMessage {
  /** The notification id, when the channel carries it (webhook, email). */
  notificationId?: string;
  text: string;
}

export interface AuditExpectations {
  /** Every run that completed. */
  runs: readonly string[];
  /** Runs whose archive must fail for good, with the reason expected. */
  archiveFailures?: Record<string, RegExp>;
  /** Dead-letter job ids expected, e.g. `archive.run-1.completed`; nothing else may be there. */
  deadLetters?: readonly string[];
  /** What each stand-in received, by channel name. */
  received?: Partial<Record<'slack' | 'webhook' | 'email', () => ReceivedMessage[]>>;
  /**
   * Notification ids that may arrive one extra time: the residual risk
   * packages/alerts/src/delivery-claim.ts documents (a worker killed after the
   * receiver got the message, before "sent" was recorded, sends it again).
   */
  residualDuplicates?: readonly string[];
  /** @defaultValue 90000 */
  timeoutMs?: number;
}

interface AlertRow {
  delivery_id: string;
  status: string;
  event_id: string | null;
  run_id: string | null;
  rule: string;
  channel: string;
  event_ids: string;
}

const BUSY_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;
const WORK_QUEUES = ['archive', 'report', 'alert', 'delivery', 'ledger'] as const;

/** Why the system is not settled yet (empty when it is). */
async function unsettled(sys: FaultSystem, exp: AuditExpectations): Promise<string[]> {
  const problems: string[] = [];
  for (const name of WORK_QUEUES) {
    const counts = await sys.queue(name).getJobCounts(...BUSY_STATES);
    const busy = Object.entries(counts).filter(([, n]) => n > 0);
    if (busy.length > 0)
      problems.push(`queue ${name} busy: ${busy.map(([s, n]) => `${s}=${n}`).join(' ')}`);
  }
  for (const runId of exp.runs) {
    if (!existsSync(path.join(sys.reportsDir, `${runId}_summary.json`)))
      problems.push(`no report file for ${runId}`);
  }
  if (!existsSync(sys.database)) return [...problems, 'no database yet'];
  const archived = new Set(
    sys.query<{ run_id: string }>('SELECT run_id FROM runwarden_archives').map((r) => r.run_id),
  );
  const reported = new Set(
    sys.query<{ run_id: string }>('SELECT run_id FROM runwarden_reports').map((r) => r.run_id),
  );
  for (const runId of exp.runs) {
    if (!archived.has(runId)) problems.push(`no archive ledger row for ${runId}`);
    if (!reported.has(runId)) problems.push(`no report ledger row for ${runId}`);
  }
  const pending = sys.query<{ id: string }>(
    'SELECT id FROM runwarden_events WHERE enqueued_at IS NULL',
  );
  if (pending.length > 0)
    problems.push(`outbox events not enqueued: ${pending.map((p) => p.id).join(', ')}`);
  problems.push(...alertProblems(sys, exp));
  return problems;
}

/** Every event either announced (sent, or held and in one digest) per rule and channel, or skipped as unmatched. */
function alertProblems(sys: FaultSystem, _exp: AuditExpectations): string[] {
  const problems: string[] = [];
  const events = sys
    .query<{ payload: string }>('SELECT payload FROM runwarden_events ORDER BY seq')
    .map((r) => JSON.parse(r.payload) as RunwardenEvent);
  const rows = sys.query<AlertRow>('SELECT * FROM runwarden_alerts');
  const digests = rows
    .filter((r) => r.status === 'digest_sent')
    .map((r) => ({ ...r, ids: JSON.parse(r.event_ids) as string[] }));
  for (const event of events) {
    const rules = matchRules(sys.alerts, event);
    if (rules.length === 0) {
      // An event whose type no rule can match gets no alert job (it stays in the outbox); one that could, but
      // matched nothing, is recorded as skipped. Either way, exactly what the scanner's routing promises.
      const routed = sys.alerts.rules.some(
        (r) => r.match.type === undefined || r.match.type === event.type,
      );
      const skipped = rows.filter(
        (r) => r.event_id === event.id && r.status === 'skipped' && r.rule === 'unmatched',
      );
      if (skipped.length !== (routed ? 1 : 0))
        problems.push(
          `event ${event.id} matches no rule (routed to alerts: ${routed}) but has ${skipped.length} "unmatched" ledger rows`,
        );
      continue;
    }
    for (const rule of rules) {
      const held = rows.some(
        (r) => r.delivery_id === `${event.id}.${rule.name}` && r.status === 'held',
      );
      for (const channel of rule.channels) {
        const sent = rows.filter(
          (r) =>
            r.event_id === event.id &&
            r.rule === rule.name &&
            r.channel === channel &&
            r.status === 'sent',
        );
        const inDigests = digests.filter(
          (d) => d.rule === rule.name && d.channel === channel && d.ids.includes(event.id),
        );
        const total = sent.length + inDigests.length;
        if (total !== 1 || (held && sent.length > 0) || (!held && inDigests.length > 0)) {
          problems.push(
            `event ${event.id}, rule ${rule.name}, channel ${channel}: sent ${sent.length}, in ${inDigests.length} digest(s), held ${held}`,
          );
        }
      }
    }
  }
  return problems;
}

/** Waits until the system settles, then checks every promise of the design exactly. */
export async function auditFaultSystem(sys: FaultSystem, exp: AuditExpectations): Promise<void> {
  let last: string[] = [];
  try {
    await waitFor(
      async () => {
        last = await unsettled(sys, exp);
        return last.length === 0;
      },
      'the system to settle',
      exp.timeoutMs ?? 90_000,
      250,
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; still open:\n  ${last.slice(0, 30).join('\n  ')}\n${await diagnose(sys, last)}`,
      { cause: err },
    );
  }
  checkArchives(sys, exp);
  checkReports(sys, exp);
  await checkQueues(sys, exp);
  checkReceived(sys, exp);
  await checkDeadLetters(sys, exp);
}

/** For each event the audit misses in the ledger: what became of its alert job and its ledger job. */
async function diagnose(sys: FaultSystem, problems: readonly string[]): Promise<string> {
  const lines: string[] = [];
  for (const id of problems
    .map((p) => /^event (\S+)/.exec(p)?.[1])
    .filter((x): x is string => !!x)
    .slice(0, 5)) {
    const alert = await sys.queue('alert').getJob(id);
    const ledger = await sys.queue('ledger').getJob(`alert.${id}.unmatched.skipped`);
    lines.push(
      `  alert job ${id}: ${alert ? `${await alert.getState()} → ${JSON.stringify(alert.returnvalue)} ${alert.failedReason ?? ''}` : 'none'}; ` +
        `ledger job: ${ledger ? `${await ledger.getState()} ${ledger.failedReason ?? ''}` : 'none'}`,
    );
  }
  const stats = await sys.client().hgetall(`${sys.ctx.prefix}:alerts:stats`);
  return `${lines.join('\n')}\n  alerts:stats ${JSON.stringify(stats)}`;
}

function checkArchives(sys: FaultSystem, exp: AuditExpectations): void {
  const failures = exp.archiveFailures ?? {};
  const files = existsSync(sys.archiveDir) ? readdirSync(sys.archiveDir) : [];
  expect(
    files.filter((f) => f.includes('.tmp-')),
    'temp files left in the archive folder',
  ).toEqual([]);
  const expectedZips = exp.runs.filter((r) => !failures[r]).map((r) => `${r}.zip`);
  expect(files.filter((f) => f.endsWith('.zip')).sort(), 'zip files in the archive folder').toEqual(
    [...expectedZips].sort(),
  );
  for (const runId of exp.runs) {
    const rows = sys.query<{
      status: string;
      verified: number | null;
      path: string | null;
      sha256: string | null;
      reason: string | null;
    }>('SELECT * FROM runwarden_archives WHERE run_id = ?', runId);
    expect(rows, `archive ledger rows for ${runId}`).toHaveLength(1);
    const row = rows[0]!;
    const reason = failures[runId];
    if (reason) {
      expect(row.status, `archive status of ${runId}`).toBe('failed');
      expect(row.reason ?? '', `recorded reason for ${runId}`).toMatch(reason);
      continue;
    }
    expect(row, `archive of ${runId}`).toMatchObject({ status: 'archived', verified: 1 });
    const zip = path.join(sys.archiveDir, `${runId}.zip`);
    expect(row.path && path.resolve(row.path)).toBe(zip);
    expect(unzipTest(zip), `unzip -t ${zip}`).toMatch(/No errors detected/);
    expect(
      createHash('sha256').update(readFileSync(zip)).digest('hex'),
      `sha256 of ${runId}.zip`,
    ).toBe(row.sha256);
  }
}

function checkReports(sys: FaultSystem, exp: AuditExpectations): void {
  const failures = exp.archiveFailures ?? {};
  const files = readdirSync(sys.reportsDir).filter((f) => !f.startsWith('.'));
  // Each run: its JSON report and, with report.html on (the default), the HTML one beside it.
  expect(files.sort(), 'report files').toEqual(
    exp.runs.flatMap((r) => [`${r}_summary.html`, `${r}_summary.json`]).sort(),
  );
  for (const runId of exp.runs) {
    expect(
      sys.query('SELECT * FROM runwarden_reports WHERE run_id = ?', runId),
      `report ledger rows for ${runId}`,
    ).toHaveLength(1);
    const report = JSON.parse(
      readFileSync(path.join(sys.reportsDir, `${runId}_summary.json`), 'utf8'),
    ) as { runId: string; archive: { status: string; reason?: string } };
    expect(report.runId).toBe(runId);
    const reason = failures[runId];
    if (reason) {
      expect(report.archive.status, `report of ${runId} says the archive failed`).toBe('failed');
      expect(report.archive.reason ?? '').toMatch(reason);
    } else {
      expect(report.archive.status, `report of ${runId} says archived`).toBe('archived');
    }
  }
}

async function checkQueues(sys: FaultSystem, exp: AuditExpectations): Promise<void> {
  const failures = exp.archiveFailures ?? {};
  const ids = exp.runs.map((r) => `${r}.completed`).sort();
  for (const name of ['archive', 'report'] as const) {
    const jobs = await sys.queue(name).getJobs(['completed', 'failed', ...BUSY_STATES]);
    expect(jobs.map((j) => j.id).sort(), `${name} jobs: one per run`).toEqual(ids);
    for (const job of jobs) {
      const runId = job.id!.replace(/\.completed$/, '');
      const expected = name === 'archive' && failures[runId] ? 'failed' : 'completed';
      expect(await job.getState(), `state of ${name} job ${job.id}`).toBe(expected);
    }
  }
  const outbox = sys.query<{ run_id: string; n: number }>(
    "SELECT run_id, COUNT(*) AS n FROM runwarden_events WHERE type = 'run_completed' GROUP BY run_id",
  );
  expect(outbox.map((o) => o.run_id).sort(), 'run_completed events in the outbox').toEqual(
    [...exp.runs].sort(),
  );
}

/** The stand-ins got exactly what the ledger says was sent (plus the documented residual duplicates at most). */
function checkReceived(sys: FaultSystem, exp: AuditExpectations): void {
  const rows = sys.query<AlertRow>(
    "SELECT * FROM runwarden_alerts WHERE status IN ('sent', 'digest_sent')",
  );
  const residual = new Set(exp.residualDuplicates ?? []);
  for (const [channel, read] of Object.entries(exp.received ?? {})) {
    const received = read();
    const sent = rows.filter((r) => r.channel === channel);
    const sentIds = sent.map((r) => r.delivery_id.slice(0, -`.${channel}`.length)).sort();
    if (channel === 'slack') {
      // Slack carries no id: count per rule, and each single alert names its rule and run once.
      for (const rule of new Set(sent.map((r) => r.rule))) {
        const ofRule = received.filter((m) => m.text.includes(`] ${rule}: `));
        const allowed = sent.filter(
          (r) => r.rule === rule && residual.has(r.delivery_id.slice(0, -'.slack'.length)),
        ).length;
        expect(ofRule.length, `Slack messages of rule ${rule}`).toBeGreaterThanOrEqual(
          sent.filter((r) => r.rule === rule).length,
        );
        expect(ofRule.length, `Slack messages of rule ${rule}`).toBeLessThanOrEqual(
          sent.filter((r) => r.rule === rule).length + allowed,
        );
        for (const row of sent.filter((r) => r.rule === rule && r.status === 'sent' && r.run_id)) {
          const naming = ofRule.filter((m) =>
            m.text.includes(`${rule}: run ${row.run_id} `),
          ).length;
          expect(naming, `Slack messages for ${row.delivery_id}`).toBe(1);
        }
      }
      expect(received.length, 'Slack messages in all').toBeGreaterThanOrEqual(sent.length);
      continue;
    }
    const counts = new Map<string, number>();
    for (const m of received)
      counts.set(m.notificationId ?? '?', (counts.get(m.notificationId ?? '?') ?? 0) + 1);
    expect(
      [...counts.keys()].sort(),
      `notification ids received on ${channel} = ids the ledger records as sent`,
    ).toEqual([...new Set(sentIds)].sort());
    expect(sentIds, `ledger rows per delivery on ${channel}`).toEqual([...new Set(sentIds)]);
    for (const [id, n] of counts)
      expect(n, `copies of ${id} received on ${channel}`).toBeLessThanOrEqual(
        residual.has(id) ? 2 : 1,
      );
  }
}

async function checkDeadLetters(sys: FaultSystem, exp: AuditExpectations): Promise<void> {
  const letters = await sys
    .queue('dead-letter')
    .getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed']);
  expect(letters.map((l) => l.id).sort(), 'dead letters').toEqual(
    [...(exp.deadLetters ?? [])].sort(),
  );
}
