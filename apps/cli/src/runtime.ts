/**
 * One process, several roles: `runwarden start` runs them all; `scanner`,
 * `worker …` and `board` run some. Closing stops the producer first (the
 * scanner), then lets workers finish the jobs in hand, then the board and
 * the connections: every step runs even when one throws.
 */
import {
  alertableTypes,
  type AlertsConfig,
  closeAll,
  closeRedisConnection,
  createRedisConnection,
  type Logger,
  onceClose,
  QueueSet,
  type RunwardenConfig,
} from '@runwarden/core';
import { createAlertWorker } from '@runwarden/alert-worker';
import { createArchiveWorker, createRetentionJob } from '@runwarden/archive-worker';
import { createBoard } from '@runwarden/board';
import { createReportWorker } from '@runwarden/report-worker';
import { createScanner } from '@runwarden/scanner';

import type { Role } from './roles.js';
import { startWhenDatabaseReady } from './wait-for-database.js';

export { WORKER_ROLES, type Role } from './roles.js';

export interface RuntimeDeps {
  config: RunwardenConfig;
  alerts: AlertsConfig;
  redisUrl: string;
  logger: Logger;
  roles: readonly Role[];
  /** Run the board without credentials (`--open`). */
  boardOpen?: boolean;
  /** Where console alerts are written. @defaultValue process.stdout */
  consoleOut?: NodeJS.WritableStream;
}

export interface Runtime {
  queues: QueueSet;
  boardUrl?: string;
  /**
   * Rejects when a role that started waiting (the scanner, for its database)
   * later fails to start: the process should then stop with status 1.
   */
  failed: Promise<never>;
  close(): Promise<void>;
}

export async function startRuntime(deps: RuntimeDeps): Promise<Runtime> {
  const { config, logger, redisUrl } = deps;
  // Connection problems are reported by core's redisHealth, once per outage.
  const connection = createRedisConnection(redisUrl, { name: 'runwarden:producer' });
  const queues = new QueueSet({ connection, prefix: config.redis.prefix, config });
  const closers: (() => Promise<void>)[] = [];
  const runtime: Runtime = {
    queues,
    failed: new Promise<never>(() => undefined),
    close: onceClose(() =>
      closeAll(
        [...closers.reverse(), () => queues.close(), () => closeRedisConnection(connection)],
        'shutdown',
      ),
    ),
  };
  try {
    const has = (role: Role) => deps.roles.includes(role);
    const common = { config, queues, redisUrl };
    if (has('archive')) {
      closers.push(
        pick(createArchiveWorker({ ...common, logger, alertTypes: alertableTypes(deps.alerts) })),
      );
      // Retention runs beside the archive workers (idle unless archive.retention sets a rule).
      closers.push(pick(createRetentionJob({ ...common, logger })));
    }
    if (has('report'))
      closers.push(
        pick(
          createReportWorker({ ...common, logger: logger.child({ component: 'report-worker' }) }),
        ),
      );
    if (has('alert')) {
      const worker = createAlertWorker({
        ...common,
        alerts: deps.alerts,
        logger,
        consoleOut: deps.consoleOut,
      });
      closers.push(pick(worker));
    }
    if (has('board')) {
      const board = createBoard({
        config,
        logger,
        redisUrl,
        prefix: config.redis.prefix,
        open: deps.boardOpen,
      });
      const { url } = await board.listen(config.board.port, config.board.host);
      runtime.boardUrl = url;
      closers.push(pick(board));
    }
    // The scanner starts last and closes first: nothing is produced that no worker takes.
    if (has('scanner')) {
      const scanner = createScanner({ ...common, logger, alertTypes: alertableTypes(deps.alerts) });
      closers.push(pick(scanner));
      // Waits (saying so) while the pipeline has not created its database yet.
      const waiter = startWhenDatabaseReady({
        start: () => scanner.start(),
        database: config.database,
        redis: connection,
        prefix: config.redis.prefix,
        instanceId: scanner.instanceId,
        logger,
      });
      closers.push(() => waiter.cancel());
      await waiter.firstTry;
      runtime.failed = waiter.started.then(() => new Promise<never>(() => undefined));
    }
  } catch (err) {
    await runtime.close().catch(() => undefined);
    throw err;
  }
  return runtime;
}

function pick(closeable: { close(): Promise<void> }): () => Promise<void> {
  return () => closeable.close();
}
