/**
 * The run report (contract: reports/<run_id>_summary.json). A pure function
 * of the run_completed event and the archive's outcome: writing it again for
 * the same event gives the same bytes, which is what makes the report worker
 * idempotent.
 */
import {
  parseTimestamp,
  type ArchiveOutcome,
  type Outcome,
  type RunCompletedEvent,
  type StallPeriod,
  type StepCounts,
  type StepState,
} from '@runwarden/core';

export const REPORT_SCHEMA_VERSION = 1;

export interface StepReport {
  stepId: string;
  name: string;
  state: StepState;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
}

export interface RunReport {
  schemaVersion: number;
  runId: string;
  pipeline: string | null;
  outcome: Outcome;
  run: {
    state: string;
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
    updatedAt: string;
    durationMs: number | null;
  };
  /** `omittedSteps`: how many more steps the run has than `items` lists (a run with very many steps). */
  steps: { counts: StepCounts; items: StepReport[]; omittedSteps?: number };
  failures: { stepId: string | null; name: string; error: string | null }[];
  /** When the run stood still (from the event's `stalls`); absent when it never stalled. */
  stalls?: StallPeriod[];
  archive: ArchiveOutcome;
  detection: {
    eventId: string;
    changedAt: string | null;
    detectedAt: string;
    lagMs: number | null;
  };
}

function durationMs(start: string | null, end: string | null): number | null {
  const a = parseTimestamp(start);
  const b = parseTimestamp(end);
  return a === undefined || b === undefined ? null : Math.max(0, b - a);
}

export interface BuildReportOptions {
  event: RunCompletedEvent;
  /** The archive job's result; `undefined` when no archive job ran. */
  archive?: ArchiveOutcome;
}

export function buildRunReport({ event, archive }: BuildReportOptions): RunReport {
  const { run } = event;
  const items: StepReport[] = run.steps.map((s) => ({
    stepId: s.stepId,
    name: s.name,
    state: s.state,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    durationMs: durationMs(s.startedAt, s.finishedAt),
    error: s.error,
  }));
  const failures: RunReport['failures'] = items
    .filter((s) => s.state === 'failed')
    .map((s) => ({ stepId: s.stepId, name: s.name, error: s.error }));
  if (run.state === 'failed' && failures.length === 0) {
    failures.push({
      stepId: null,
      name: '(run)',
      error: 'the run was marked failed with no failed step',
    });
  }
  const changed = parseTimestamp(event.changedAt);
  const detected = parseTimestamp(event.detectedAt);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId: event.runId,
    pipeline: event.pipeline,
    outcome: event.outcome,
    run: {
      state: run.state,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      updatedAt: run.updatedAt,
      durationMs: durationMs(run.startedAt ?? run.createdAt, run.finishedAt ?? run.updatedAt),
    },
    steps: {
      counts: event.stepCounts,
      items,
      ...(run.omittedSteps ? { omittedSteps: run.omittedSteps } : {}),
    },
    failures,
    ...(event.stalls?.length ? { stalls: event.stalls } : {}),
    archive: archive ?? { status: 'skipped', reason: 'no archive job ran for this run' },
    detection: {
      eventId: event.id,
      changedAt: event.changedAt ?? null,
      detectedAt: event.detectedAt,
      lagMs:
        changed === undefined || detected === undefined ? null : Math.max(0, detected - changed),
    },
  };
}
