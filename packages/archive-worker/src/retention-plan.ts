/**
 * Which archives retention deletes: a pure function of what is on disk, the
 * rules and the time, so each rule is a unit test.
 *
 *   oldest first ─▶ maxAge: older than it ─▶ keepLast: beyond the newest N of its pipeline
 *     ─▶ maxTotalSize: the oldest of the rest while the total is over it
 *   none of them ever takes an archive younger than minAge
 */
import type { RetentionLedgerEntry, RunwardenConfig } from '@runwarden/core';

export type RetentionRules = RunwardenConfig['archive']['retention'];
type RetentionReason = RetentionLedgerEntry['reason'];

export interface StoredRun {
  runId: string;
  pipeline: string | null;
  /** Epoch ms the archive was made. */
  archivedAt: number;
  /** Bytes of the zip (0 when only reports are left). */
  bytes: number;
  /** Every file of the run: zip, manifest, reports (absolute paths). */
  files: string[];
}

export interface RetentionDeletion {
  run: StoredRun;
  reason: RetentionReason;
}

export function retentionEnabled(rules: RetentionRules): boolean {
  return (
    rules.maxAge !== undefined || rules.keepLast !== undefined || rules.maxTotalSize !== undefined
  );
}

function keepLastFor(rules: RetentionRules, pipeline: string | null): number | undefined {
  const k = rules.keepLast;
  if (typeof k === 'number' || k === undefined) return k;
  return k[pipeline ?? ''] ?? k['*'];
}

export function planRetention(
  stored: readonly StoredRun[],
  rules: RetentionRules,
  now: number,
): RetentionDeletion[] {
  const runs = [...stored].sort(
    (a, b) => a.archivedAt - b.archivedAt || a.runId.localeCompare(b.runId),
  );
  const reasons = new Map<StoredRun, RetentionReason>();
  const deletable = (r: StoredRun) => now - r.archivedAt >= rules.minAge && !reasons.has(r);
  if (rules.maxAge !== undefined)
    for (const r of runs)
      if (deletable(r) && now - r.archivedAt > rules.maxAge!) reasons.set(r, 'maxAge');
  if (rules.keepLast !== undefined) {
    const byPipeline = new Map<string | null, StoredRun[]>();
    for (const r of runs) byPipeline.set(r.pipeline, [...(byPipeline.get(r.pipeline) ?? []), r]);
    for (const [pipeline, list] of byPipeline) {
      const keep = keepLastFor(rules, pipeline);
      if (keep === undefined) continue;
      // Newest first: the first `keep` stay, whatever their age.
      list
        .reverse()
        .slice(keep)
        .forEach((r) => deletable(r) && reasons.set(r, 'keepLast'));
    }
  }
  if (rules.maxTotalSize !== undefined) {
    let total = runs.filter((r) => !reasons.has(r)).reduce((sum, r) => sum + r.bytes, 0);
    for (const r of runs) {
      if (total <= rules.maxTotalSize) break;
      if (!deletable(r)) continue;
      reasons.set(r, 'maxTotalSize');
      total -= r.bytes;
    }
  }
  return runs.filter((r) => reasons.has(r)).map((run) => ({ run, reason: reasons.get(run)! }));
}
