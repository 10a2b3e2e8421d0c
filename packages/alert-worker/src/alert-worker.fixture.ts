/**
 * Test fixture: a config, queues, a log capture and recording channels for
 * one test, all under the test's own prefix and closed by its cleanup.
 */
import { PassThrough, Writable } from 'node:stream';
import { ChannelError, type Channel, type Notification } from '@runwarden/alerts';
import {
  alertsConfigSchema,
  createLogger,
  createRedisConnection,
  emptyStepCounts,
  QueueSet,
  runwardenConfigSchema,
  type AlertsConfig,
  type Logger,
  type RunwardenEvent,
} from '@runwarden/core';
import type { TestContext } from '@runwarden/testing';
import { createAlertWorker, type AlertWorkerDeps } from './create-alert-worker.js';

export interface RecordingChannel extends Channel {
  sent: Notification[];
  calls: number;
}

/** A channel that records what it sends; `fail(call)` may throw to simulate an outage. */
export function recordingChannel(
  name: string,
  fail?: (call: number, n: Notification) => ChannelError | undefined,
  sink: Notification[] = [],
): RecordingChannel {
  const channel: RecordingChannel = {
    name,
    enabled: true,
    timeoutMs: 1_000,
    sent: sink,
    calls: 0,
    async send(n) {
      channel.calls += 1;
      const err = fail?.(channel.calls, n);
      if (err) throw err;
      sink.push(n);
      return `recorded by ${name}`;
    },
  };
  return channel;
}

export const transient = (name: string) => new ChannelError(name, 'transient', 'simulated outage');
export const permanent = (name: string) =>
  new ChannelError(name, 'permanent', 'simulated HTTP 404');

export function failedRun(runId: string, pipeline = 'etl'): RunwardenEvent {
  return {
    id: `${runId}.completed`,
    type: 'run_completed',
    runId,
    pipeline,
    detectedAt: new Date().toISOString(),
    outcome: 'failed',
    stepCounts: { ...emptyStepCounts(), succeeded: 4, failed: 1, total: 5 },
    run: {
      runId,
      pipeline,
      state: 'failed',
      createdAt: '',
      startedAt: null,
      finishedAt: null,
      updatedAt: '',
      steps: [],
    },
  };
}

export interface Fixture {
  queues: QueueSet;
  logger: Logger;
  /** Every log line written so far, parsed. */
  logs(): Record<string, unknown>[];
  consoleText(): string;
  consoleOut: PassThrough;
  alerts: AlertsConfig;
  start(extra?: Partial<AlertWorkerDeps>): { close(): Promise<void> };
  enqueue(event: RunwardenEvent, jobId?: string): Promise<void>;
}

export function createFixture(
  ctx: TestContext,
  alertsInput: unknown,
  options: { attempts?: number; logLevel?: string } = {},
): Fixture {
  const config = runwardenConfigSchema.parse({
    redis: { url: ctx.redisUrl, prefix: ctx.prefix },
    queues: { alert: { attempts: options.attempts ?? 3, backoff: { type: 'fixed', delay: 50 } } },
  });
  const alerts = alertsConfigSchema.parse(alertsInput);
  const connection = createRedisConnection(ctx.redisUrl, { name: 'test:queues' });
  const queues = new QueueSet({ connection, prefix: ctx.prefix, config });
  ctx.defer(() => connection.quit());
  ctx.defer(() => queues.close());
  let logText = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logText += chunk.toString();
      cb();
    },
  });
  const logger = createLogger({ level: options.logLevel ?? 'info', destination });
  let consoleText = '';
  const consoleOut = new PassThrough();
  consoleOut.on('data', (c: Buffer) => (consoleText += c.toString()));
  return {
    queues,
    logger,
    alerts,
    consoleOut,
    logs: () =>
      logText
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    consoleText: () => consoleText,
    start(extra = {}) {
      const worker = createAlertWorker({
        config,
        alerts,
        logger,
        queues,
        redisUrl: ctx.redisUrl,
        consoleOut,
        ...extra,
      });
      ctx.defer(() => worker.close());
      return worker;
    },
    async enqueue(event, jobId = event.id) {
      await queues.get('alert').add(event.type, event, { jobId });
    },
  };
}
