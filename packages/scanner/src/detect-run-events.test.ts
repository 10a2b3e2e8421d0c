import { describe, expect, it } from 'vitest';
import type { RunSummary, StepRow, TrackedRun } from '@runwarden/store';
import { detectRunEvents, type RunObservation } from './detect-run-events.js';

const T = Date.parse('2025-12-05T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function summary(state: string, steps: StepRow[], updatedAt: unknown = iso(T)): RunSummary {
  const count = (s: string) => steps.filter((x) => x.state === s).length;
  return {
    rowid: 1,
    runId: 'r1',
    pipeline: 'etl',
    state,
    createdAt: iso(T),
    startedAt: null,
    finishedAt: null,
    updatedAt,
    total: steps.length,
    maxStepUpdatedAt: steps.length
      ? steps
          .map((s) => String(s.updatedAt))
          .sort()
          .at(-1)!
      : null,
    pending: count('pending'),
    running: count('running'),
    succeeded: count('succeeded'),
    failed: count('failed'),
    skipped: count('skipped'),
    canceled: count('canceled'),
  };
}
const step = (stepId: string, state: string, extra: Partial<StepRow> = {}): StepRow => ({
  rowid: null,
  stepId,
  name: stepId,
  state,
  startedAt: null,
  finishedAt: null,
  updatedAt: iso(T),
  error: null,
  ...extra,
});
const tracked = (extra: Partial<TrackedRun> = {}): TrackedRun => ({
  runId: 'r1',
  completed: false,
  stalled: false,
  stallCount: 0,
  stallChangeMs: null,
  ...extra,
});
function detect(obs: Partial<RunObservation> & { summary: RunSummary }) {
  const result = detectRunEvents({ now: T, stallThresholdMs: 1_000, ...obs });
  if (!result.ok) throw new Error(result.reason);
  return result;
}

describe('detectRunEvents', () => {
  it('announces a run first seen running', () => {
    const r = detect({ summary: summary('running', []), steps: [] });
    expect(r.events.map((e) => e.id)).toEqual(['r1.started']);
  });

  it('completes a run with no steps when its state is terminal', () => {
    const r = detect({ summary: summary('succeeded', []), steps: [], tracked: tracked() });
    expect(r.events).toMatchObject([
      { type: 'run_completed', outcome: 'succeeded', stepCounts: { total: 0 } },
    ]);
  });

  it('completes a run whose steps are all terminal while the run row still says running', () => {
    const steps = [step('a', 'succeeded'), step('b', 'skipped')];
    const r = detect({ summary: summary('running', steps), steps, tracked: tracked() });
    expect(r.events).toMatchObject([
      {
        type: 'run_completed',
        outcome: 'succeeded',
        stepCounts: { succeeded: 1, skipped: 1, total: 2 },
      },
    ]);
    expect(r.tracked.completed).toBe(true);
  });

  it('gives outcome canceled for a canceled run, and failed when any step failed', () => {
    expect(
      detect({ summary: summary('canceled', []), steps: [], tracked: tracked() }).events[0],
    ).toMatchObject({ outcome: 'canceled' });
    const steps = [step('a', 'failed'), step('b', 'succeeded')];
    const r = detect({ summary: summary('canceled', steps), steps, tracked: tracked() });
    expect(r.events.map((e) => e.type)).toEqual(['step_failed', 'run_completed']);
    expect(r.events[1]).toMatchObject({ outcome: 'failed' });
  });

  it('counts a retried step that fails again as a second failure, and not a third time when unchanged', () => {
    const first = [step('a', 'failed', { finishedAt: iso(T) }), step('b', 'pending')];
    const r1 = detect({ summary: summary('running', first), steps: first, tracked: tracked() });
    expect(r1.events.map((e) => e.id)).toEqual(['r1.step.a.failed.1']);
    const failures = new Map(r1.stepFailures.map((f) => [f.stepId, f]));
    expect(
      detect({ summary: summary('running', first), steps: first, tracked: tracked(), failures })
        .events,
    ).toEqual([]);
    const again = [
      step('a', 'failed', { finishedAt: iso(T + 5_000), updatedAt: iso(T + 5_000) }),
      step('b', 'pending'),
    ];
    const r2 = detect({
      summary: summary('running', again),
      steps: again,
      tracked: tracked(),
      failures,
    });
    expect(r2.events).toMatchObject([{ id: 'r1.step.a.failed.2', failure: 2 }]);
  });

  it('stalls a pending run that never starts, once, and recovers when it makes progress', () => {
    const s = summary('pending', [], iso(T - 2_000));
    const r1 = detect({ summary: s, steps: [], tracked: tracked() });
    expect(r1.events).toMatchObject([
      { id: 'r1.stalled.1', type: 'run_stalled', stalledForMs: 2_000, stall: 1 },
    ]);
    expect(detect({ summary: s, tracked: r1.tracked }).events).toEqual([]);
    const r3 = detect({ summary: summary('running', [], iso(T)), steps: [], tracked: r1.tracked });
    expect(r3.events).toMatchObject([
      { id: 'r1.recovered.1', type: 'run_recovered', stalledEventId: 'r1.stalled.1' },
    ]);
    expect(r3.tracked.stalled).toBe(false);
  });

  it('reads unix seconds as timestamps', () => {
    const steps = [
      step('a', 'succeeded', {
        updatedAt: T / 1000,
        startedAt: T / 1000 - 60,
        finishedAt: T / 1000,
      }),
    ];
    const r = detect({ summary: summary('succeeded', steps, T / 1000), steps, tracked: tracked() });
    expect(r.events[0]).toMatchObject({ type: 'run_completed', changedAt: iso(T) });
    expect(r.events[0]).toHaveProperty('run.steps.0.startedAt', iso(T - 60_000));
  });

  it('rejects an unknown state or an unreadable timestamp with the reason', () => {
    expect(
      detectRunEvents({ summary: summary('exploded', []), steps: [], now: T, stallThresholdMs: 1 }),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('exploded') });
    expect(
      detectRunEvents({
        summary: summary('running', [], 'yesterday'),
        steps: [],
        now: T,
        stallThresholdMs: 1,
      }),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('yesterday') });
    expect(
      detectRunEvents({
        summary: summary('running', [], 99999999999999),
        steps: [],
        now: T,
        stallThresholdMs: 1,
      }),
    ).toMatchObject({
      ok: false,
      row: { table: 'runs', rowid: 1, runId: 'r1', column: 'updated_at', value: 99999999999999 },
    });
  });

  it('leaves out a step in an unknown state, names it, and still completes the run', () => {
    const steps = [step('a', 'weird', { rowid: 7 }), step('b', 'succeeded')];
    const r = detect({ summary: summary('succeeded', steps), steps });
    expect(r.events[0]).toMatchObject({ type: 'run_completed', stepCounts: { total: 1 } });
    expect(r.events[0]).toHaveProperty('run.steps', [expect.objectContaining({ stepId: 'b' })]);
    expect(r.skipped).toContainEqual(
      expect.objectContaining({ table: 'steps', rowid: 7, column: 'state', value: 'weird' }),
    );
  });

  it("stalls a run stamped in the future after stallThreshold of the scanner's own time", () => {
    const ahead = summary('running', [], iso(T + 3_600_000));
    const first = detect({ summary: ahead, tracked: tracked() });
    expect(first.events).toEqual([]);
    expect(first.quietSinceMs).toBe(T);
    const later = detect({ summary: ahead, tracked: tracked(), now: T + 1_000, quietSinceMs: T });
    expect(later.events).toMatchObject([{ type: 'run_stalled', stalledForMs: 1_000 }]);
  });

  it('does not take a future time for progress when a stalled run is first seen again', () => {
    const ahead = summary('running', [], iso(T + 3_600_000));
    const stalled = tracked({ stalled: true, stallCount: 1, stallChangeMs: T - 5_000 });
    expect(detect({ summary: ahead, tracked: stalled }).events).toEqual([]);
    const changed = detect({ summary: ahead, tracked: stalled, quietSinceMs: T });
    expect(changed.events).toMatchObject([{ type: 'run_recovered' }]);
  });
});
