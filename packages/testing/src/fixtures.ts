/** Events as the scanner produces them, for tests of the workers. */
import {
  emptyStepCounts,
  eventIds,
  type Outcome,
  type RunCompletedEvent,
  type StepSnapshot,
  type StepState,
} from '@runwarden/core';

export function step(
  stepId: string,
  state: StepState,
  extra: Partial<StepSnapshot> = {},
): StepSnapshot {
  return {
    stepId,
    name: extra.name ?? stepId,
    state,
    startedAt: '2025-12-05T14:00:00Z',
    finishedAt: state === 'running' || state === 'pending' ? null : '2025-12-05T14:00:30Z',
    updatedAt: '2025-12-05T14:00:30Z',
    error: state === 'failed' ? `${stepId} exited with status 1` : null,
    ...extra,
  };
}

export function completedEvent(
  runId: string,
  steps: StepSnapshot[],
  outcome?: Outcome,
  pipeline = 'etl',
): RunCompletedEvent {
  const counts = emptyStepCounts();
  for (const s of steps) {
    counts[s.state] += 1;
    counts.total += 1;
  }
  const resolved: Outcome = outcome ?? (counts.failed > 0 ? 'failed' : 'succeeded');
  return {
    id: eventIds.completed(runId),
    type: 'run_completed',
    runId,
    pipeline,
    detectedAt: '2025-12-05T14:01:00.250Z',
    changedAt: '2025-12-05T14:01:00Z',
    outcome: resolved,
    stepCounts: counts,
    run: {
      runId,
      pipeline,
      state: resolved,
      createdAt: '2025-12-05T13:59:00Z',
      startedAt: '2025-12-05T14:00:00Z',
      finishedAt: '2025-12-05T14:01:00Z',
      updatedAt: '2025-12-05T14:01:00Z',
      steps,
    },
  };
}
