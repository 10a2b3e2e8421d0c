/**
 * The events runwarden detects (contract: docs/ARCHITECTURE.md, "events").
 * Every event has a deterministic id derived from the run and the event, so
 * enqueueing the same detection twice is a no-op everywhere downstream.
 */
import type { StallPeriod } from './stall-periods.js';

export const EVENT_TYPES = [
  'run_started',
  'run_completed',
  'step_failed',
  'run_stalled',
  'run_recovered',
  'archival_failed',
  'monitor_blind',
  'monitor_recovered',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const RUN_STATES = ['pending', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type RunState = (typeof RUN_STATES)[number];
export const STEP_STATES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'canceled',
] as const;
export type StepState = (typeof STEP_STATES)[number];
export const TERMINAL_RUN_STATES: readonly RunState[] = ['succeeded', 'failed', 'canceled'];

export type Outcome = 'succeeded' | 'failed' | 'canceled';

export interface StepSnapshot {
  stepId: string;
  name: string;
  state: StepState;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  error: string | null;
}

export interface RunSnapshot {
  runId: string;
  pipeline: string | null;
  state: RunState;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  /**
   * At most {@link MAX_SNAPSHOT_STEPS} steps, failed ones first chosen, in
   * the pipeline's order; `omittedSteps` counts those left out.
   */
  steps: StepSnapshot[];
  /** Steps not listed in `steps` (a run with more than MAX_SNAPSHOT_STEPS); absent when none. */
  omittedSteps?: number;
}

/** A run_completed event lists at most this many steps: job data and the outbox row stay small. */
export const MAX_SNAPSHOT_STEPS = 1_000;

/** Counts of a run's steps by state, plus the total. */
export type StepCounts = Record<StepState, number> & { total: number };

interface EventBase<T extends EventType> {
  id: string;
  type: T;
  runId: string;
  pipeline: string | null;
  /** When runwarden noticed it (ISO-8601 UTC). */
  detectedAt: string;
  /** The latest change time of the run that caused this event, when known (ISO-8601 UTC). */
  changedAt?: string | null;
}

export interface RunStartedEvent extends EventBase<'run_started'> {
  state: RunState;
}
export interface RunCompletedEvent extends EventBase<'run_completed'> {
  outcome: Outcome;
  stepCounts: StepCounts;
  run: RunSnapshot;
  /** The run's stalls from the outbox (`stallPeriods`); absent when it never stalled. */
  stalls?: StallPeriod[];
}
export interface StepFailedEvent extends EventBase<'step_failed'> {
  stepId: string;
  stepName: string;
  error: string | null;
  /** 1 for the first failure of this step, 2 after a retry failed again, … */
  failure: number;
}
export interface RunStalledEvent extends EventBase<'run_stalled'> {
  state: RunState;
  lastChangeAt: string;
  stalledForMs: number;
  stepCounts: StepCounts;
  /** 1 for the first stall of this run, 2 for the next one after a recovery, … */
  stall: number;
}
export interface RunRecoveredEvent extends EventBase<'run_recovered'> {
  state: RunState;
  stalledEventId: string;
  stall: number;
}
export interface ArchivalFailedEvent extends EventBase<'archival_failed'> {
  reason: string;
  attempts: number;
  jobId: string;
}

/**
 * The watchdog's events are about runwarden itself, not a run: their `runId`
 * is {@link MONITOR_RUN_ID} and their `pipeline` null.
 */
export interface MonitorBlindEvent extends EventBase<'monitor_blind'> {
  /** Why no scan succeeded (the last error), e.g. the database is missing. */
  reason: string;
  database: string;
  /** When the last scan succeeded (or the scanner started), ISO-8601. */
  blindSince: string;
  blindForMs: number;
}
export interface MonitorRecoveredEvent extends EventBase<'monitor_recovered'> {
  database: string;
  blindEventId: string;
  blindForMs: number;
}

export type RunwardenEvent =
  | RunStartedEvent
  | RunCompletedEvent
  | StepFailedEvent
  | RunStalledEvent
  | RunRecoveredEvent
  | ArchivalFailedEvent
  | MonitorBlindEvent
  | MonitorRecoveredEvent;

/** What the watchdog's events carry as `runId`: no run id encodes to an id starting with `%monitor`. */
export const MONITOR_RUN_ID = '(runwarden)';

/**
 * Makes a run id or step id safe and unambiguous inside an event id / BullMQ
 * job id: `%` → `%25`, `:` (reserved by BullMQ) → `%3A`, `.` (the separator)
 * → `%2E`. An encoded part never holds a raw `.`, so `<run>.step.<step>…`
 * splits one way only: run `coll` with step `b.step.c` and run `coll.step.b`
 * with step `c` get different ids.
 *
 * Ids without `.` or `%` are the same as before this encoding (version 2);
 * events recorded earlier keep their ids, and the scanner looks a stall's id
 * up in the outbox rather than recomputing it (docs/ARCHITECTURE.md, "events").
 */
export function encodeIdPart(part: string): string {
  return part.replace(/[%:.]/g, (c) => (c === '%' ? '%25' : c === ':' ? '%3A' : '%2E'));
}

export const eventIds = {
  started: (runId: string) => `${encodeIdPart(runId)}.started`,
  completed: (runId: string) => `${encodeIdPart(runId)}.completed`,
  stepFailed: (runId: string, stepId: string, failure: number) =>
    `${encodeIdPart(runId)}.step.${encodeIdPart(stepId)}.failed.${failure}`,
  stalled: (runId: string, stall: number) => `${encodeIdPart(runId)}.stalled.${stall}`,
  recovered: (runId: string, stall: number) => `${encodeIdPart(runId)}.recovered.${stall}`,
  archivalFailed: (runId: string) => `${encodeIdPart(runId)}.archival_failed`,
  // `%` starts no encoded run id except as `%25`, `%2E` or `%3A`: these cannot meet a run's ids.
  monitorBlind: (sinceMs: number) => `%monitor.blind.${sinceMs}`,
  monitorRecovered: (sinceMs: number) => `%monitor.recovered.${sinceMs}`,
};

export function emptyStepCounts(): StepCounts {
  return { pending: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, canceled: 0, total: 0 };
}

/** "4/5": steps that finished successfully (succeeded or skipped) out of all. */
export function stepsDone(counts: StepCounts): string {
  return `${counts.succeeded + counts.skipped}/${counts.total}`;
}
