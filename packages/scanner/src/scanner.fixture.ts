/**
 * What scanner tests share: a pipeline database written by its own
 * connection, a controllable clock, a QueueSet on the test's prefix, and log
 * lines captured as parsed JSON.
 */
import path from 'node:path';
import {
  QueueSet,
  createLogger,
  createRedisConnection,
  runwardenConfigSchema,
  type Logger,
  type RunwardenConfig,
} from '@runwarden/core';
import { createPipelineWriter, type PipelineWriter } from '@runwarden/store';
import type { TestContext } from '@runwarden/testing';
import { createScanner, type Scanner, type ScannerDeps } from './scanner.js';

export interface ScannerFixture {
  config: RunwardenConfig;
  writer: PipelineWriter;
  queues: QueueSet;
  logs: Record<string, unknown>[];
  logger: Logger;
  /** The clock scanners see; tests move it. */
  clock: { now: number };
  iso(offsetMs?: number): string;
  scanner(extra?: Partial<ScannerDeps>): Scanner;
}

export const T0 = Date.parse('2025-12-05T12:00:00.000Z');

export function createScannerFixture(
  ctx: TestContext,
  scanner: Record<string, unknown> = {},
): ScannerFixture {
  const database = path.join(ctx.dir, 'orchestration.db');
  const clock = { now: T0 };
  const iso = (offsetMs = 0) => new Date(clock.now + offsetMs).toISOString();
  const writer = createPipelineWriter(database, { now: () => iso() });
  ctx.defer(() => writer.close());
  const config = runwardenConfigSchema.parse({
    database,
    redis: { url: ctx.redisUrl, prefix: ctx.prefix },
    scanner: {
      pollInterval: 100,
      stallThreshold: 300,
      changeCheckInterval: 20,
      leaseTtl: 1000,
      ...scanner,
    },
  });
  const connection = createRedisConnection(ctx.redisUrl, { name: 'runwarden:test-queues' });
  const queues = new QueueSet({ connection, prefix: ctx.prefix, config });
  ctx.defer(() => connection.disconnect());
  ctx.defer(() => queues.close());
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: {
      write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>),
    },
  });
  return {
    config,
    writer,
    queues,
    logs,
    logger,
    clock,
    iso,
    scanner(extra = {}) {
      const s = createScanner({
        config,
        logger,
        queues,
        redisUrl: ctx.redisUrl,
        clock: () => clock.now,
        ...extra,
      });
      ctx.defer(() => s.close());
      return s;
    },
  };
}

/** Log lines whose message contains `text`. */
export function logsMatching(
  logs: readonly Record<string, unknown>[],
  text: string,
): Record<string, unknown>[] {
  return logs.filter((l) => typeof l.msg === 'string' && l.msg.includes(text));
}
