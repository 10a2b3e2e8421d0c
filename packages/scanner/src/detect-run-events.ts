/**
 * What happened to one run since the scanner last looked: a pure function of
 * the rows read now and what was recorded before, so every edge case is a
 * unit test. The contract (docs/ARCHITECTURE.md, "events"):
 *
 *   first seen pending/running ─▶ run_started
 *   a step entered failed (again, after a retry) ─▶ step_failed (failure n)
 *   stalled and changed since ─▶ run_recovered (stall n)
 *   run state terminal, or steps all terminal ─▶ run_completed (outcome, counts, snapshot)
 *   not complete, unchanged for stallThreshold ─▶ run_stalled (stall n)
 *
 * "Unchanged" is measured on the scanner's clock where it can be: from when
 * the scanner saw the rows change (`quietSinceMs`), else from the rows' own
 * time, never later than now. A row stamped in the future (clock skew on the
 * pipeline's host) therefore still stalls.
 */
import {
  TERMINAL_RUN_STATES,
  eventIds,
  type Outcome,
  type RunSnapshot,
  type RunState,
  type RunwardenEvent,
  type StepCounts,
} from '@runwarden/core';
import type {
  RunSummary,
  SkippedRow,
  StepFailureCount,
  StepRow,
  TrackedRun,
} from '@runwarden/store';
import { buildRunSnapshot, checkSummary } from './run-snapshot.js';

export interface RunObservation {
  summary: RunSummary;
  /** The run's steps; read only when the run changed (or completes now). */
  steps?: readonly StepRow[];
  /** What the scanner recorded about the run before; absent when first seen. */
  tracked?: TrackedRun;
  failures?: ReadonlyMap<string, StepFailureCount>;
  now: number;
  stallThresholdMs: number;
  /**
   * When this scanner last saw the run's rows change (its own clock); absent
   * when it has not watched the run before (then the rows' time counts).
   */
  quietSinceMs?: number;
  /** The recorded id of the stall a recovery resolves, when the outbox has it. @defaultValue computed */
  stalledEventId?: string;
}

export type RunDetection =
  | {
      ok: true;
      events: RunwardenEvent[];
      tracked: TrackedRun;
      stepFailures: StepFailureCount[];
      /** What the stall clock ran from; the caller keeps it while the rows stay unchanged. */
      quietSinceMs: number;
      /** The latest time the rows claim; later than `now` when the pipeline's clock is ahead. */
      rowChangeMs: number;
      /** Step values left out (the run itself was usable). */
      skipped: SkippedRow[];
    }
  | { ok: false; reason: string; row?: SkippedRow };

export function isComplete(
  state: string,
  counts: Pick<StepCounts, 'total' | 'pending' | 'running'>,
): boolean {
  if ((TERMINAL_RUN_STATES as readonly string[]).includes(state)) return true;
  return counts.total > 0 && counts.pending + counts.running === 0;
}

export function outcomeOf(state: RunState, counts: StepCounts): Outcome {
  if (state === 'failed' || counts.failed > 0) return 'failed';
  if (state === 'canceled') return 'canceled';
  return 'succeeded';
}

/** True when the scanner must read the run's steps before calling {@link detectRunEvents}. */
export function needsSteps(
  summary: RunSummary,
  tracked: TrackedRun | undefined,
  changed: boolean,
): boolean {
  if (changed || !tracked) return true;
  return (
    !tracked.completed &&
    isComplete(String(summary.state), {
      total: Number(summary.total),
      pending: Number(summary.pending),
      running: Number(summary.running),
    })
  );
}

function stepFailureEvents(
  obs: RunObservation,
  base: Base,
): { events: RunwardenEvent[]; counts: StepFailureCount[] } {
  const events: RunwardenEvent[] = [];
  const counts: StepFailureCount[] = [];
  for (const step of obs.steps ?? []) {
    if (step.state !== 'failed') continue;
    // A retried step that fails again under the same step_id has a new finish time.
    const key = String(step.finishedAt ?? step.updatedAt);
    const before = obs.failures?.get(step.stepId);
    if (before && before.lastFailureKey === key) continue;
    const failure = (before?.failures ?? 0) + 1;
    counts.push({ stepId: step.stepId, runId: base.runId, failures: failure, lastFailureKey: key });
    events.push({
      ...base,
      id: eventIds.stepFailed(base.runId, step.stepId, failure),
      type: 'step_failed',
      stepId: step.stepId,
      stepName: step.name,
      error: step.error,
      failure,
    });
  }
  return { events, counts };
}

type Base = { runId: string; pipeline: string | null; detectedAt: string; changedAt: string };

export function detectRunEvents(obs: RunObservation): RunDetection {
  const checked = checkSummary(obs.summary);
  if (!checked.ok) return checked;
  const { state, rowChangeMs, counts } = checked.value;
  const skipped = [...checked.value.skipped];
  const { runId, pipeline } = obs.summary;
  const tracked: TrackedRun = obs.tracked
    ? { ...obs.tracked }
    : { runId, completed: false, stalled: false, stallCount: 0, stallChangeMs: null };
  const rowMs = Math.min(rowChangeMs, obs.now);
  // A stalled run first seen by this scanner with a future time: no evidence it changed.
  const lastChangeMs =
    obs.quietSinceMs ??
    (rowChangeMs > obs.now && tracked.stalled ? (tracked.stallChangeMs ?? rowMs) : rowMs);
  const base: Base = {
    runId,
    pipeline,
    detectedAt: new Date(obs.now).toISOString(),
    changedAt: new Date(rowMs).toISOString(),
  };
  const complete = isComplete(state, counts);
  let snapshot: RunSnapshot | undefined;
  if (complete && !tracked.completed) {
    if (!obs.steps)
      return { ok: false, reason: 'steps were not read for a run that completed (scanner bug)' };
    const built = buildRunSnapshot(obs.summary, obs.steps);
    if (!built.ok) return built;
    snapshot = built.value.snapshot;
    skipped.push(...built.value.skipped);
  }
  const events: RunwardenEvent[] = [];
  if (!obs.tracked && (state === 'pending' || state === 'running')) {
    events.push({ ...base, id: eventIds.started(runId), type: 'run_started', state });
  }
  const failures = stepFailureEvents(obs, base);
  events.push(...failures.events);
  if (tracked.stalled && lastChangeMs > (tracked.stallChangeMs ?? 0)) {
    events.push({
      ...base,
      id: eventIds.recovered(runId, tracked.stallCount),
      type: 'run_recovered',
      state,
      stalledEventId: obs.stalledEventId ?? eventIds.stalled(runId, tracked.stallCount),
      stall: tracked.stallCount,
    });
    tracked.stalled = false;
    tracked.stallChangeMs = null;
  }
  if (snapshot) {
    events.push({
      ...base,
      id: eventIds.completed(runId),
      type: 'run_completed',
      outcome: outcomeOf(state, counts),
      stepCounts: counts,
      run: snapshot,
    });
    tracked.completed = true;
  } else if (!complete) {
    // A run that was complete and is running again (new steps added) is followed again.
    tracked.completed = false;
    if (!tracked.stalled && obs.now - lastChangeMs >= obs.stallThresholdMs) {
      tracked.stallCount += 1;
      tracked.stalled = true;
      tracked.stallChangeMs = lastChangeMs;
      events.push({
        ...base,
        id: eventIds.stalled(runId, tracked.stallCount),
        type: 'run_stalled',
        state,
        lastChangeAt: new Date(lastChangeMs).toISOString(),
        stalledForMs: obs.now - lastChangeMs,
        stepCounts: counts,
        stall: tracked.stallCount,
      });
    }
  }
  return {
    ok: true,
    events,
    tracked,
    stepFailures: failures.counts,
    quietSinceMs: lastChangeMs,
    rowChangeMs,
    skipped,
  };
}
