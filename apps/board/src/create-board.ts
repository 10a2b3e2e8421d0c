/**
 * The board process: Bull Board behind Basic auth, plus probes and metrics.
 *
 *   /healthz /readyz /metrics ──────────────────────────▶ no auth (probe-routes)
 *   <basePath>/…  ──basic auth──▶ silences page ─▶ edit guard ──▶ Bull Board (every queue, secrets masked)
 *
 * Everything Redis-facing shares one admin connection; /readyz uses a
 * fail-fast connection of its own, so it answers 503 at once when Redis is
 * down instead of waiting for a reconnect.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  ALL_QUEUES,
  closeAll,
  createRedisConnection,
  onceClose,
  QueueSet,
  redactUrl,
  RunwardenError,
  type Logger,
  type RunwardenConfig,
} from '@runwarden/core';
import express, { type Express } from 'express';
import { basicAuth } from './basic-auth.js';
import { createBoardMetrics } from './board-metrics.js';
import { createBullBoardRouter } from './bull-board-router.js';
import { createEditGuard } from './edit-guard.js';
import { createProbeRoutes } from './probe-routes.js';
import { createSilenceRoutes } from './silence-routes.js';

export interface BoardDeps {
  config: RunwardenConfig;
  logger: Logger;
  redisUrl: string;
  /** Queue key prefix (config.redis.prefix). */
  prefix: string;
  /**
   * Serve the board without credentials (`runwarden board --open`). Without
   * it, missing config.board.user/password is a USAGE error.
   * @defaultValue false
   */
  open?: boolean;
}

export interface Board {
  readonly app: Express;
  /** Starts listening. @defaultValue config.board.port and config.board.host */
  listen(port?: number, host?: string): Promise<{ url: string }>;
  /** Stops HTTP and closes every Redis connection; safe to call twice. */
  close(): Promise<void>;
}

/** Normalises `/ops/queues/` and `ops/queues` to `/ops/queues`; `/` stays `/`. */
export function normaliseBasePath(basePath: string): string {
  const trimmed = basePath.trim().replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function credentialsOrThrow(deps: BoardDeps): { user: string; password: string } | undefined {
  const { user, password } = deps.config.board;
  if (user && password) return { user, password };
  if (deps.open) {
    deps.logger.warn(
      'The board is open: anyone who can reach its port can see and change jobs. Set BOARD_USER and BOARD_PASSWORD to require a login',
    );
    return undefined;
  }
  throw new RunwardenError(
    'USAGE',
    'The board needs credentials: set BOARD_USER and BOARD_PASSWORD (or board.user/board.password in the config), or pass --open to serve it without a login',
  );
}

function displayUrl(address: AddressInfo, basePath: string): string {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard
    ? 'localhost'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `http://${host}:${address.port}${basePath === '/' ? '/' : `${basePath}/`}`;
}

export function createBoard(deps: BoardDeps): Board {
  const credentials = credentialsOrThrow(deps);
  const log = deps.logger.child({ component: 'board' });
  const basePath = normaliseBasePath(deps.config.board.basePath);
  const redis = createRedisConnection(deps.redisUrl, { name: 'runwarden:board' });
  redis.on('error', (err) =>
    log.warn(
      { err: err.message, redis: redactUrl(deps.redisUrl) },
      'Board lost its Redis connection; retrying. Pages and metrics wait until it is back',
    ),
  );
  const queues = new QueueSet({ connection: redis, prefix: deps.prefix, config: deps.config });
  // A Queue re-emits its connection's errors; unheard, BullMQ prints them to stderr. The connection's own
  // handler above already says what happened, once per problem.
  for (const name of ALL_QUEUES) queues.get(name).on('error', () => undefined);
  const metrics = createBoardMetrics({
    queue: (name) => queues.get(name),
    redis,
    prefix: deps.prefix,
    logger: log,
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(createProbeRoutes({ redisUrl: deps.redisUrl, metrics, logger: log }));
  const guarded = [
    createSilenceRoutes({
      redis,
      prefix: deps.prefix,
      readOnly: deps.config.board.readOnly,
      logger: log,
    }),
    createEditGuard(),
    createBullBoardRouter({
      queue: (name) => queues.get(name),
      basePath,
      readOnly: deps.config.board.readOnly,
    }),
  ];
  app.use(basePath, ...(credentials ? [basicAuth(credentials)] : []), ...guarded);

  let server: Server | undefined;
  const listen = (port = deps.config.board.port, host = deps.config.board.host) =>
    new Promise<{ url: string }>((resolve, reject) => {
      const started = app.listen(port, host, (err?: Error) => {
        if (err) return reject(err);
        const url = displayUrl(started.address() as AddressInfo, basePath);
        log.info(
          { url, readOnly: deps.config.board.readOnly, auth: Boolean(credentials) },
          `Board listening on ${url}`,
        );
        resolve({ url });
      });
      server = started;
    });

  const close = onceClose(() =>
    closeAll(
      [
        () => closeServer(server),
        () => queues.close(),
        () => redis.quit().catch(() => redis.disconnect()),
      ],
      'board close',
    ),
  );
  return { app, listen, close };
}

function closeServer(server: Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Browsers keep connections alive; without this close waits for them to time out.
    server.closeAllConnections();
  });
}
