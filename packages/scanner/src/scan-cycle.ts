/**
 * One scan: read a consistent snapshot, decide events, record them in the
 * outbox — all synchronous SQLite, no Redis.
 *
 *   snapshot ─▶ active runs (runs(state) + steps(run_id, state, updated_at, step_id))
 *            ─▶ followed runs that left the active set (by primary key)
 *            ─▶ runs inserted since the rowid cursor (e.g. finished between scans)
 *   per run: fingerprint unchanged? ─▶ stall check only : read steps ─▶ detectRunEvents
 *   ─▶ commit (one IMMEDIATE transaction): outbox rows, tracking, cursor
 *
 * Fingerprints stay in memory and are updated only after the commit, so a
 * scan that hit a locked database is simply done again. No row can stop a
 * scan: an unusable value skips that row (named in `skipped`), and a run
 * whose handling throws for any other reason is set aside with the rest going on.
 */
import {
  MAX_SNAPSHOT_STEPS,
  parseTimestamp,
  stallPeriods,
  type Logger,
  type RunwardenEvent,
} from '@runwarden/core';
import type {
  PipelineReader,
  RunSummary,
  ScanCommit,
  ScannerStore,
  SkippedRow,
  StepFailureCount,
  TrackedRun,
} from '@runwarden/store';
import { describeSkippedRow } from '@runwarden/store';
import { detectRunEvents, needsSteps } from './detect-run-events.js';
import { checkRunsCursor } from './runs-cursor.js';

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
  /** Rows (or values) this scan could not use; each is named. */
  skipped: SkippedRow[];
  badRows: number;
  /** Finished runs older than the stall threshold found on the first start, not announced. */
  baselined: number;
}

interface Seen {
  fp: string;
  tracked: TrackedRun;
  quietSinceMs: number;
}

const FUTURE_WARN_MS = 60_000;
/**
 * Runs rows whose run_id was unusable when the cursor passed them, read again
 * every scan until fixed or deleted (a JSON array of rowids in the scanner state).
 */
const UNUSABLE_KEY = 'unusable_run_rowids';
const MAX_UNUSABLE = 1_000;

const parseRowids = (text: string | undefined): number[] => {
  try {
    const value: unknown = JSON.parse(text ?? '[]');
    return Array.isArray(value) ? value.filter((v): v is number => Number.isInteger(v)) : [];
  } catch {
    return [];
  }
};

const isBusy = (err: unknown) =>
  /^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: string }).code ?? ''));

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
  const seen = new Map<string, Seen>();
  const warnedFuture = new Set<string>();
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
    const cursor = checkRunsCursor({ reader, store, logger, commit });
    const firstStart = store.getState('baseline_at') === undefined;
    // After a cursor reset the table is read again from the start: the rowids held name other rows.
    const held = cursor === 0 ? [] : parseRowids(store.getState(UNUSABLE_KEY));
    const again = reader.runsAt(held);
    for (const row of again.rows)
      if (!store.trackedRun(row.runId))
        logger.info(
          { runId: row.runId, rowid: row.rowid },
          `Run ${row.runId} (runs rowid ${row.rowid}) now has a usable run_id; the scanner follows it`,
        );
    const fresh = reader.runsAfter(cursor, batch);
    const unusable = [...again.unusable, ...fresh.unusable].slice(-MAX_UNUSABLE);
    if (unusable.join() !== held.join())
      commit.state = { ...commit.state, [UNUSABLE_KEY]: JSON.stringify(unusable) };
    let baselined = 0;
    for (const row of [...again.rows, ...fresh.rows]) {
      if (runs.has(row.runId)) continue;
      const tracked = store.trackedRun(row.runId);
      // Read again after a cursor reset: already announced, nothing to do.
      if (tracked?.completed) continue;
      const changedMs = parseTimestamp(row.updatedAt);
      const old = changedMs !== undefined && now - changedMs >= options.stallThresholdMs;
      if (
        firstStart &&
        old &&
        ['succeeded', 'failed', 'canceled'].includes(String(row.state)) &&
        !tracked
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
    if (fresh.lastRowid !== null) {
      commit.runsCursor = fresh.lastRowid;
      commit.state = { ...commit.state, runs_cursor_run: reader.runIdAt(fresh.lastRowid) ?? '' };
    }
    if (firstStart && fresh.read < batch)
      commit.state = { ...commit.state, baseline_at: new Date(now).toISOString() };
    return { runs, baselined };
  }

  function warnFuture(summary: RunSummary, rowChangeMs: number, now: number): void {
    if (rowChangeMs - now <= FUTURE_WARN_MS || warnedFuture.has(summary.runId)) return;
    warnedFuture.add(summary.runId);
    logger.warn(
      { runId: summary.runId, rowid: summary.rowid, aheadMs: rowChangeMs - now },
      `Run ${summary.runId} has a time ${Math.round((rowChangeMs - now) / 1000)} s in the future (${new Date(rowChangeMs).toISOString()}): is the pipeline host's clock ahead? Its stall detection counts on the scanner's clock instead`,
    );
  }

  function scan(): ScanOutcome {
    const now = options.clock();
    const commit: ScanCommit = { events: [], runs: [], stepFailures: [] };
    const decided = new Map<string, Seen>();
    const skipped: SkippedRow[] = [];
    const { runs, baselined } = reader.snapshot(() => {
      const collected = collect(commit, now);
      for (const summary of collected.runs.values()) {
        try {
          const entry = observe(summary, now, commit, skipped);
          if (entry) decided.set(summary.runId, entry);
        } catch (err) {
          if (isBusy(err)) throw err;
          skipped.push({
            table: 'runs',
            rowid: summary.rowid,
            runId: summary.runId,
            column: 'the row',
            value: undefined,
            reason: `made the scan fail (${(err as Error).message}); this run is set aside`,
          });
        }
      }
      return collected;
    });
    skipped.unshift(...reader.takeSkipped());
    // A row read twice in one scan (active, and new since the cursor) is one skipped row.
    const unique = [...new Map(skipped.map((r) => [describeSkippedRow(r), r])).values()];
    const fresh = store.commit(commit);
    for (const [runId, entry] of decided) seen.set(runId, entry);
    // Forget runs that completed and left the active set: memory follows active runs, not history.
    for (const [runId, entry] of seen)
      if (entry.tracked.completed && !runs.has(runId)) {
        seen.delete(runId);
        warnedFuture.delete(runId);
      }
    const activeRuns = [...decided.values()].filter((d) => !d.tracked.completed).length;
    return { fresh, activeRuns, skipped: unique, badRows: unique.length, baselined };
  }

  /** Decides one run's events into `commit`; undefined when the run row is unusable. */
  function observe(
    summary: RunSummary,
    now: number,
    commit: ScanCommit,
    skipped: SkippedRow[],
  ): Seen | undefined {
    const fp = fingerprint(summary);
    const before = seen.get(summary.runId);
    const tracked = before?.tracked ?? store.trackedRun(summary.runId);
    const changed = before?.fp !== fp;
    const steps = needsSteps(summary, tracked, changed)
      ? reader.stepsOf(summary.runId, MAX_SNAPSHOT_STEPS, Number(summary.failed) || 0)
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
      quietSinceMs: before ? (changed ? now : before.quietSinceMs) : undefined,
      stalledEventId:
        tracked?.stalled && changed
          ? store.stalledEventId(summary.runId, tracked.stallCount)
          : undefined,
    });
    if (!result.ok) {
      // Follow it until it is fixed: a run found through the cursor is not read again otherwise.
      if (!tracked)
        commit.runs.push({
          runId: summary.runId,
          completed: false,
          stalled: false,
          stallCount: 0,
          stallChangeMs: null,
        });
      skipped.push(
        result.row ?? {
          table: 'runs',
          rowid: summary.rowid,
          runId: summary.runId,
          column: 'the row',
          value: undefined,
          reason: result.reason,
        },
      );
      return undefined;
    }
    skipped.push(...result.skipped);
    warnFuture(summary, result.rowChangeMs, now);
    if (result.tracked.stallCount > 0) withStalls(result.events, store);
    commit.events.push(...result.events);
    commit.stepFailures.push(...result.stepFailures);
    if (!tracked || JSON.stringify(tracked) !== JSON.stringify(result.tracked))
      commit.runs.push(result.tracked);
    return { fp, tracked: result.tracked, quietSinceMs: result.quietSinceMs };
  }

  return { scan };
}

/**
 * A run that stalled and completes: its run_completed carries its stall
 * periods (those in the outbox and any found in this scan), so the report's
 * timeline can shade them without reading the database.
 */
function withStalls(events: RunwardenEvent[], store: ScannerStore): void {
  const completed = events.find((e) => e.type === 'run_completed');
  if (!completed) return;
  const stalls = stallPeriods([...store.stallEventsOf(completed.runId), ...events]);
  if (stalls.length > 0) completed.stalls = stalls;
}
