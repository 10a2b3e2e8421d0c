import { describe, expect, it } from 'vitest';
import { alertsConfigSchema, runwardenConfigSchema, type QueueSet } from '@runwarden/core';
import { alertableTypes, enqueueEvents, queuesFor } from './route-event.js';
import { completedEvent } from '../../../test/support/fixtures.js';

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

describe('enqueueing a batch of events', () => {
  it('adds every alert job first, in one call, then every report/archive flow in one', async () => {
    const config = runwardenConfigSchema.parse({});
    const calls: string[] = [];
    const queues = {
      get: (name: string) => ({
        addBulk: async (jobs: { opts: { jobId: string } }[]) =>
          void calls.push(`${name}: ${jobs.map((j) => j.opts.jobId).join(' ')}`),
      }),
      flowProducer: () => ({
        addBulk: async (flows: { opts: { jobId: string }; children: unknown[] }[]) =>
          void calls.push(
            `flows: ${flows.map((f) => `${f.opts.jobId}+${f.children.length}`).join(' ')}`,
          ),
      }),
      jobOptions: (_name: string, extra: object) => ({ ...config.queues.alert, ...extra }),
    } as unknown as QueueSet;
    const a = completedEvent('a', []);
    const b = completedEvent('b', []);
    await enqueueEvents(queues, [a, b]);
    expect(calls).toEqual([`alert: ${a.id} ${b.id}`, `flows: ${a.id}+1 ${b.id}+1`]);
  });
});
