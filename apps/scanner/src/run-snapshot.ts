/**
 * Turns the rows the store read into the typed snapshot events carry, or says
 * why a row is unusable (unknown state, unreadable timestamp), so the scan
 * can log it and move on.
 */
import {
  RUN_STATES,
  STEP_STATES,
  emptyStepCounts,
  type RunSnapshot,
  type RunState,
  type StepCounts,
  type StepSnapshot,
  type StepState,
} from '@runwarden/core';
import { parseTimestamp, toIsoTimestamp, type RunSummary, type StepRow } from '@runwarden/store';

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const isRunState = (s: string): s is RunState => (RUN_STATES as readonly string[]).includes(s);
const isStepState = (s: string): s is StepState => (STEP_STATES as readonly string[]).includes(s);

/** The summary's step counts, or why they cannot be trusted (a step in an unknown state). */
export function countsOf(summary: RunSummary): Checked<StepCounts> {
  const counts = emptyStepCounts();
  for (const state of STEP_STATES) counts[state] = Number(summary[state]);
  counts.total = Number(summary.total);
  const known = STEP_STATES.reduce((n, s) => n + counts[s], 0);
  if (known !== counts.total) {
    return {
      ok: false,
      reason: `${counts.total - known} step(s) have a state that is not one of ${STEP_STATES.join(', ')}`,
    };
  }
  return { ok: true, value: counts };
}

/** The run's state and the time anything about it last changed (run row or any step). */
export function checkSummary(
  summary: RunSummary,
): Checked<{ state: RunState; lastChangeMs: number; counts: StepCounts }> {
  if (!isRunState(summary.state))
    return {
      ok: false,
      reason: `run state ${JSON.stringify(summary.state)} is not one of ${RUN_STATES.join(', ')}`,
    };
  const runMs = parseTimestamp(summary.updatedAt);
  if (runMs === undefined)
    return {
      ok: false,
      reason: `runs.updated_at ${JSON.stringify(summary.updatedAt)} is neither ISO-8601 nor unix seconds`,
    };
  if (parseTimestamp(summary.createdAt) === undefined)
    return {
      ok: false,
      reason: `runs.created_at ${JSON.stringify(summary.createdAt)} is neither ISO-8601 nor unix seconds`,
    };
  const stepMs =
    summary.maxStepUpdatedAt === null ? undefined : parseTimestamp(summary.maxStepUpdatedAt);
  if (summary.maxStepUpdatedAt !== null && stepMs === undefined) {
    return {
      ok: false,
      reason: `steps.updated_at ${JSON.stringify(summary.maxStepUpdatedAt)} is neither ISO-8601 nor unix seconds`,
    };
  }
  const counts = countsOf(summary);
  if (!counts.ok) return counts;
  return {
    ok: true,
    value: {
      state: summary.state,
      lastChangeMs: Math.max(runMs, stepMs ?? 0),
      counts: counts.value,
    },
  };
}

function iso(value: unknown, column: string): string | null {
  const out = toIsoTimestamp(value);
  if (out === undefined)
    throw new Error(`${column} ${JSON.stringify(value)} is neither ISO-8601 nor unix seconds`);
  return out;
}

function stepSnapshot(row: StepRow): StepSnapshot {
  if (!isStepState(row.state))
    throw new Error(
      `step ${row.stepId} has state ${JSON.stringify(row.state)}, not one of ${STEP_STATES.join(', ')}`,
    );
  return {
    stepId: row.stepId,
    name: row.name,
    state: row.state,
    startedAt: iso(row.startedAt, `steps.started_at of ${row.stepId}`),
    finishedAt: iso(row.finishedAt, `steps.finished_at of ${row.stepId}`),
    updatedAt: iso(row.updatedAt, `steps.updated_at of ${row.stepId}`) ?? '',
    error: row.error,
  };
}

/** The run and its steps with ISO timestamps, or why a row is unusable. */
export function buildRunSnapshot(
  summary: RunSummary,
  steps: readonly StepRow[],
): Checked<RunSnapshot> {
  try {
    if (!isRunState(summary.state))
      throw new Error(`run state ${JSON.stringify(summary.state)} is unknown`);
    return {
      ok: true,
      value: {
        runId: summary.runId,
        pipeline: summary.pipeline,
        state: summary.state,
        createdAt: iso(summary.createdAt, 'runs.created_at') ?? '',
        startedAt: iso(summary.startedAt, 'runs.started_at'),
        finishedAt: iso(summary.finishedAt, 'runs.finished_at'),
        updatedAt: iso(summary.updatedAt, 'runs.updated_at') ?? '',
        steps: steps.map(stepSnapshot),
      },
    };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
