import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { alertsConfigSchema, runwardenConfigSchema } from './config/schema.js';
import { alertableTypes, enqueueEvents, queuesFor } from './event-routing.js';
import { QueueSet } from './queue-set.js';
import { createRedisConnection, deleteKeysWithPrefix } from './redis.js';
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

describe('enqueueing a batch of events', () => {
  it('adds every alert job first, then every report/archive flow (a real Redis, its MONITOR)', async () => {
    const url = inject('redisUrl');
    const prefix = `test-${randomUUID()}`;
    const config = runwardenConfigSchema.parse({ redis: { url, prefix } });
    const connection = createRedisConnection(url);
    const queues = new QueueSet({ connection, prefix, config });
    const monitor = await new Redis(url).monitor();
    const queueOfEachWrite: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      const key = args.find((a) => a.startsWith(`${prefix}:`));
      if (key && /^(evalsha|eval)$/i.test(args[0] ?? '')) queueOfEachWrite.push(key.split(':')[1]!);
    });
    try {
      const a = completedEvent('a');
      const b = completedEvent('b');
      await enqueueEvents(queues, [a, b]);
      for (const e of [a, b]) {
        expect(await queues.get('alert').getJob(e.id)).toBeDefined();
        const report = await queues.get('report').getJob(e.id);
        expect(await report?.getState()).toBe('waiting-children');
        expect(await queues.get('archive').getJob(e.id)).toBeDefined();
      }
      await new Promise((r) => setTimeout(r, 100)); // MONITOR lines arrive asynchronously
      const lastAlert = queueOfEachWrite.lastIndexOf('alert');
      const firstFlow = queueOfEachWrite.findIndex((q) => q === 'report' || q === 'archive');
      expect(lastAlert).toBeGreaterThanOrEqual(0);
      expect(firstFlow).toBeGreaterThan(lastAlert);
    } finally {
      monitor.disconnect();
      await queues.close();
      await deleteKeysWithPrefix(url, prefix);
      await connection.quit();
    }
  });
});

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
