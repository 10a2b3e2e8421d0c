import { describe, expect, it } from 'vitest';
import { alertsConfigSchema } from './config/schema.js';
import { alertableTypes, queuesFor } from './event-routing.js';
import { emptyStepCounts, type RunCompletedEvent } from './events.js';

function completedEvent(runId: string): RunCompletedEvent {
  const at = '2026-01-01T00:01:00Z';
  return {
    id: `${runId}.completed`,
    type: 'run_completed',
    runId,
    pipeline: null,
    detectedAt: at,
    changedAt: at,
    outcome: 'succeeded',
    stepCounts: emptyStepCounts(),
    run: {
      runId,
      pipeline: null,
      state: 'succeeded',
      createdAt: at,
      startedAt: at,
      finishedAt: at,
      updatedAt: at,
      steps: [],
    },
  };
}

describe('routing', () => {
  const started = {
    id: 'r.started',
    type: 'run_started',
    runId: 'r',
    pipeline: null,
    detectedAt: '2026-01-01T00:00:00Z',
    state: 'running',
  } as const;

  it('sends run_started to no queue when no rule can match it, as the architecture routes it', () => {
    const types = alertableTypes(
      alertsConfigSchema.parse({
        rules: [
          { name: 'f', match: { type: 'run_completed' }, severity: 'low', channels: ['console'] },
        ],
      }),
    );
    expect(queuesFor(started, types)).toEqual([]);
    expect(queuesFor(completedEvent('r'), types)).toEqual(['report', 'archive', 'alert']);
  });

  it('sends every type to the alert queue when a rule has no type matcher', () => {
    const types = alertableTypes(
      alertsConfigSchema.parse({
        rules: [
          { name: 'etl', match: { pipeline: 'etl' }, severity: 'low', channels: ['console'] },
        ],
      }),
    );
    expect(queuesFor(started, types)).toEqual(['alert']);
  });
});
