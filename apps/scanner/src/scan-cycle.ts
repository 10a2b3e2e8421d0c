/**
 * One scan: read a consistent snapshot, decide events, record them in the
 * outbox — all synchronous SQLite, no Redis.
 *
 *   snapshot ─▶ active runs (runs(state) + steps(run_id))
 *            ─▶ followed runs that left the active set (by primary key)
 *            ─▶ runs inserted since the rowid cursor (e.g. finished between scans)
 *   per run: fingerprint unchanged? ─▶ stall check only : read steps ─▶ detectRunEvents
 *   ─▶ commit (one IMMEDIATE transaction): outbox rows, tracking, cursor
 *
 * Fingerprints stay in memory and are updated only after the commit, so a
 * scan that hit a locked database is simply done again.
 */
import type { Logger, RunwardenEvent } from '@runwarden/core';
import type {
  PipelineReader,
  RunSummary,
  ScanCommit,
  ScannerStore,
  StepFailureCount,
  TrackedRun,
} from '@runwarden/store';
import { parseTimestamp } from '@runwarden/store';
import { detectRunEvents, needsSteps } from './detect-run-events.js';

export interface ScanCycleOptions {
  reader: PipelineReader;
  store: ScannerStore;
  logger: Logger;
  stallThresholdMs: number;
  clock: () => number;
  /** New runs read per scan while catching up with history. @defaultValue 5000 */
  catchUpBatch?: number;
}

export interface ScanOutcome {
  /** Events new to the outbox in this scan. */
  fresh: RunwardenEvent[];
  activeRuns: number;
  badRows: number;
  /** Finished runs older than the stall threshold found on the first start, not announced. */
  baselined: number;
}

const fingerprint = (s: RunSummary) =>
  [
    s.state,
    s.updatedAt,
    s.total,
    s.maxStepUpdatedAt,
    s.pending,
    s.running,
    s.succeeded,
    s.failed,
    s.skipped,
    s.canceled,
  ].join('|');

export function createScanCycle(options: ScanCycleOptions) {
  const { reader, store, logger } = options;
  const seen = new Map<string, { fp: string; tracked: TrackedRun }>();
  const warned = new Map<string, string>();
  const batch = options.catchUpBatch ?? 5_000;

  /** Runs to look at this scan, keyed by id. */
  function collect(
    commit: ScanCommit,
    now: number,
  ): { runs: Map<string, RunSummary>; baselined: number } {
    const runs = new Map(reader.activeRuns().map((r) => [r.runId, r]));
    const open = new Map(store.openRuns().map((t) => [t.runId, t]));
    for (const runId of open.keys()) {
      if (runs.has(runId)) continue;
      const summary = reader.runById(runId);
      if (summary) runs.set(runId, summary);
      else {
        logger.warn(
          { runId },
          `Run ${runId} disappeared from the runs table; runwarden stops following it`,
        );
        commit.runs.push({ ...open.get(runId)!, completed: true });
      }
    }
    const cursor = Number(store.getState('runs_cursor') ?? 0);
    const firstStart = store.getState('baseline_at') === undefined;
    const fresh = reader.runsAfter(cursor, batch);
    let baselined = 0;
    for (const row of fresh) {
      if (runs.has(row.runId)) continue;
      const changedMs = parseTimestamp(row.updatedAt);
      const old = changedMs !== undefined && now - changedMs >= options.stallThresholdMs;
      if (
        firstStart &&
        old &&
        ['succeeded', 'failed', 'canceled'].includes(row.state) &&
        !store.trackedRun(row.runId)
      ) {
        // History from before runwarden watched this database: remember it, do not announce it.
        commit.runs.push({
          runId: row.runId,
          completed: true,
          stalled: false,
          stallCount: 0,
          stallChangeMs: null,
        });
        baselined += 1;
        continue;
      }
      const summary = reader.runById(row.runId);
      if (summary) runs.set(row.runId, summary);
    }
    const last = fresh.at(-1);
    if (last?.rowid !== null && last?.rowid !== undefined) commit.runsCursor = last.rowid;
    if (firstStart && fresh.length < batch)
      commit.state = { baseline_at: new Date(now).toISOString() };
    return { runs, baselined };
  }

  function scan(): ScanOutcome {
    const now = options.clock();
    const commit: ScanCommit = { events: [], runs: [], stepFailures: [] };
    const decided = new Map<string, { fp: string; tracked: TrackedRun }>();
    let badRows = 0;
    const { runs, baselined } = reader.snapshot(() => {
      const collected = collect(commit, now);
      for (const summary of collected.runs.values()) {
        const fp = fingerprint(summary);
        const before = seen.get(summary.runId);
        const tracked = before?.tracked ?? store.trackedRun(summary.runId);
        const changed = before?.fp !== fp;
        const steps = needsSteps(summary, tracked, changed)
          ? reader.stepsOf(summary.runId)
          : undefined;
        const failures: Map<string, StepFailureCount> | undefined = steps
          ? store.stepFailuresOf(summary.runId)
          : undefined;
        const result = detectRunEvents({
          summary,
          steps,
          tracked,
          failures,
          now,
          stallThresholdMs: options.stallThresholdMs,
        });
        if (!result.ok) {
          badRows += 1;
          if (warned.get(summary.runId) !== fp) {
            warned.set(summary.runId, fp);
            logger.warn(
              { runId: summary.runId, reason: result.reason },
              `Skipping run ${summary.runId}: ${result.reason}. Fix the row in the pipeline's database; the scan goes on`,
            );
          }
          continue;
        }
        warned.delete(summary.runId);
        commit.events.push(...result.events);
        commit.stepFailures.push(...result.stepFailures);
        if (!tracked || JSON.stringify(tracked) !== JSON.stringify(result.tracked))
          commit.runs.push(result.tracked);
        decided.set(summary.runId, { fp, tracked: result.tracked });
      }
      return collected;
    });
    const fresh = store.commit(commit);
    for (const [runId, entry] of decided) seen.set(runId, entry);
    // Forget runs that completed and left the active set: memory follows active runs, not history.
    for (const [runId, entry] of seen)
      if (entry.tracked.completed && !runs.has(runId)) seen.delete(runId);
    const activeRuns = [...decided.values()].filter((d) => !d.tracked.completed).length;
    return { fresh, activeRuns, badRows, baselined };
  }

  return { scan };
}
