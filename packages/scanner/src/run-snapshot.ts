/**
 * Turns the rows the store read into the typed snapshot events carry, or says
 * which row is unusable (table, rowid, column, value), so the scan can log it
 * and move on. A bad step row is left out of its run (and named); a bad run
 * row makes the run wait until it is fixed.
 */
import {
  RUN_STATES,
  STEP_STATES,
  emptyStepCounts,
  parseTimestamp,
  toIsoTimestamp,
  type RunSnapshot,
  type RunState,
  type StepCounts,
  type StepSnapshot,
  type StepState,
} from '@runwarden/core';
import {
  describeSkippedRow,
  type RunSummary,
  type SkippedRow,
  type StepRow,
} from '@runwarden/store';

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string; row?: SkippedRow };

const isRunState = (s: unknown): s is RunState => (RUN_STATES as readonly unknown[]).includes(s);
const isStepState = (s: unknown): s is StepState => (STEP_STATES as readonly unknown[]).includes(s);

export const UNREADABLE_TIME =
  'is neither ISO-8601 text nor unix seconds within the range of a date';

function badRun(summary: RunSummary, column: string, value: unknown, reason: string) {
  const row: SkippedRow = {
    table: 'runs',
    rowid: summary.rowid,
    runId: summary.runId,
    column,
    value,
    reason,
  };
  return { ok: false as const, reason: describeSkippedRow(row), row };
}

/** The summary's step counts; steps in an unknown state are left out (and reported). */
export function countsOf(summary: RunSummary): { counts: StepCounts; skipped?: SkippedRow } {
  const counts = emptyStepCounts();
  for (const state of STEP_STATES) counts[state] = Number(summary[state]) || 0;
  const known = STEP_STATES.reduce((n, s) => n + counts[s], 0);
  counts.total = known;
  const unknown = (Number(summary.total) || 0) - known;
  if (unknown <= 0) return { counts };
  return {
    counts,
    skipped: {
      table: 'steps',
      rowid: null,
      runId: summary.runId,
      column: 'state',
      value: undefined,
      reason: `of ${unknown} step(s) is not one of ${STEP_STATES.join(', ')}; those steps are left out`,
    },
  };
}

export interface CheckedSummary {
  state: RunState;
  /** The latest change the rows claim (run row or any step), in ms; may lie in the future. */
  rowChangeMs: number;
  counts: StepCounts;
  /** Step-level problems that do not stop the run from being followed. */
  skipped: SkippedRow[];
}

/** The run's state and the time anything about it last changed (run row or any step). */
export function checkSummary(summary: RunSummary): Checked<CheckedSummary> {
  if (!isRunState(summary.state))
    return badRun(summary, 'state', summary.state, `is not one of ${RUN_STATES.join(', ')}`);
  const runMs = parseTimestamp(summary.updatedAt);
  if (runMs === undefined) return badRun(summary, 'updated_at', summary.updatedAt, UNREADABLE_TIME);
  if (parseTimestamp(summary.createdAt) === undefined)
    return badRun(summary, 'created_at', summary.createdAt, UNREADABLE_TIME);
  const skipped: SkippedRow[] = [];
  const stepMs =
    summary.maxStepUpdatedAt === null ? undefined : parseTimestamp(summary.maxStepUpdatedAt);
  if (summary.maxStepUpdatedAt !== null && stepMs === undefined)
    skipped.push({
      table: 'steps',
      rowid: null,
      runId: summary.runId,
      column: 'updated_at',
      value: summary.maxStepUpdatedAt,
      reason: `${UNREADABLE_TIME}; the run's own updated_at is used instead`,
    });
  const { counts, skipped: badStates } = countsOf(summary);
  if (badStates) skipped.push(badStates);
  return {
    ok: true,
    value: { state: summary.state, rowChangeMs: Math.max(runMs, stepMs ?? 0), counts, skipped },
  };
}

/** A nullable time as ISO text; an unreadable one becomes null and is reported. */
function isoOrNull(
  value: unknown,
  where: Omit<SkippedRow, 'column' | 'value' | 'reason'>,
  column: string,
  skipped: SkippedRow[],
): string | null {
  const out = toIsoTimestamp(value);
  if (out !== undefined) return out;
  skipped.push({ ...where, column, value, reason: `${UNREADABLE_TIME}; left empty` });
  return null;
}

function stepSnapshot(
  row: StepRow,
  runId: string,
  skipped: SkippedRow[],
): StepSnapshot | undefined {
  const where = { table: 'steps' as const, rowid: row.rowid, runId };
  if (!isStepState(row.state)) {
    skipped.push({
      ...where,
      column: 'state',
      value: row.state,
      reason: `is not one of ${STEP_STATES.join(', ')}; the step is left out`,
    });
    return undefined;
  }
  return {
    stepId: row.stepId,
    name: row.name,
    state: row.state,
    startedAt: isoOrNull(row.startedAt, where, 'started_at', skipped),
    finishedAt: isoOrNull(row.finishedAt, where, 'finished_at', skipped),
    updatedAt: isoOrNull(row.updatedAt, where, 'updated_at', skipped) ?? '',
    error: row.error,
  };
}

/** The run and its steps with ISO timestamps; unusable step values are left out and reported. */
export function buildRunSnapshot(
  summary: RunSummary,
  steps: readonly StepRow[],
): Checked<{ snapshot: RunSnapshot; skipped: SkippedRow[] }> {
  if (!isRunState(summary.state))
    return badRun(summary, 'state', summary.state, `is not one of ${RUN_STATES.join(', ')}`);
  const skipped: SkippedRow[] = [];
  const where = { table: 'runs' as const, rowid: summary.rowid, runId: summary.runId };
  const snapshot: RunSnapshot = {
    runId: summary.runId,
    pipeline: summary.pipeline,
    state: summary.state,
    createdAt: isoOrNull(summary.createdAt, where, 'created_at', skipped) ?? '',
    startedAt: isoOrNull(summary.startedAt, where, 'started_at', skipped),
    finishedAt: isoOrNull(summary.finishedAt, where, 'finished_at', skipped),
    updatedAt: isoOrNull(summary.updatedAt, where, 'updated_at', skipped) ?? '',
    steps: [],
  };
  for (const row of steps) {
    const step = stepSnapshot(row, summary.runId, skipped);
    if (step) snapshot.steps.push(step);
  }
  // The reader returns at most MAX_SNAPSHOT_STEPS rows: count the rest.
  const omitted = (Number(summary.total) || 0) - steps.length;
  if (omitted > 0) snapshot.omittedSteps = omitted;
  return { ok: true, value: { snapshot, skipped } };
}
