import { describe, expect, it } from 'vitest';
import { alertsConfigSchema } from '@runwarden/core';
import { alertableTypes, queuesFor } from './route-event.js';
import { completedEvent } from '@runwarden/testing';

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
    expect(queuesFor(completedEvent('r', []), types)).toEqual(['report', 'archive', 'alert']);
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
