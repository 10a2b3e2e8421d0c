/**
 * The board process: Bull Board behind Basic auth, plus probes and metrics.
 *
 *   every response: security headers (no framing, no caching)
 *   /healthz /readyz /metrics ──────────────────────────▶ no auth (probe-routes)
 *   <basePath>/runs… ──basic auth──▶ runs view, run pages, archives and reports (GET only;
 *                    the database opened read-only per request: the board writes no SQLite)
 *   <basePath>/silences ──basic auth──▶ silences page (forms; same origin only)
 *   <basePath>/…  ──basic auth (failed-login limit)──▶ same origin, JSON only ──▶ edit guard
 *                 ──▶ Bull Board (every queue, secrets masked, read-only unless allowed)
 *
 * What it leaves to a reverse proxy: TLS. Basic auth sends the password with
 * every request, so beyond loopback it belongs behind HTTPS; the board warns
 * at start when it listens there and wants a password of 12 characters or more.
 *
 * Everything Redis-facing shares one admin connection, /readyz's PING
 * included (see redis-readiness.ts for how it answers 503 at once while
 * Redis is down).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  ALL_QUEUES,
  closeAll,
  createRedisConnection,
  onceClose,
  parseScannerStatus,
  QueueSet,
  redactUrl,
  RunwardenError,
  scannerStatusKey,
  type Logger,
  type RunwardenConfig,
} from '@runwarden/core';
import express, { type Express } from 'express';
import { basicAuth } from './basic-auth.js';
import { createBoardMetrics } from './board-metrics.js';
import { createBullBoardRouter } from './bull-board-router.js';
import { createEditGuard } from './edit-guard.js';
import { jsonErrors, sameOriginJsonOnly, securityHeaders } from './http-hardening.js';
import { createProbeRoutes } from './probe-routes.js';
import { createRunRoutes } from './run-routes.js';
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

/** The shortest password accepted when the board listens beyond loopback. */
const MIN_PUBLIC_PASSWORD_LENGTH = 12;

/** 127.0.0.0/8, ::1 and localhost: reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(h);
}

/** Refuses a short password beyond loopback; warns about the missing TLS. */
function checkExposure(
  host: string,
  credentials: { password: string } | undefined,
  log: Logger,
): void {
  if (isLoopbackHost(host)) return;
  if (credentials && [...credentials.password].length < MIN_PUBLIC_PASSWORD_LENGTH)
    throw new RunwardenError(
      'USAGE',
      `The board would listen on ${host}, beyond this machine, with a password of ${[...credentials.password].length} character(s): set BOARD_PASSWORD to at least ${MIN_PUBLIC_PASSWORD_LENGTH} characters, or listen on 127.0.0.1 (BOARD_HOST) behind a reverse proxy`,
    );
  log.warn(
    { host },
    `The board listens on ${host}, reachable from other machines, and serves plain HTTP: Basic auth sends the board password with every request. Put a reverse proxy with TLS in front of it (and keep its port closed to others), or set BOARD_HOST=127.0.0.1`,
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
  app.use(securityHeaders());
  // Read on its own (not through readRuntimeStatus, which reads an unreadable hash as empty for
  // /metrics): a status that cannot be read must fail readiness, not pass as "not blind".
  const scannerBlind = async () => {
    const scanner = parseScannerStatus(await redis.hgetall(scannerStatusKey(deps.prefix)));
    return scanner.blindSince === null
      ? undefined
      : `blind since ${scanner.blindSince}: ${scanner.blindReason ?? 'no scan succeeded'}`;
  };
  app.use(
    createProbeRoutes({ redisUrl: deps.redisUrl, redis, metrics, logger: log, scannerBlind }),
  );
  const login = credentials
    ? [
        basicAuth({
          ...credentials,
          onBlocked: (address, failures) =>
            log.warn(
              { address, failures },
              `Board: ${failures} failed logins from ${address}; it is refused for 15 minutes. If that is not you, someone is guessing the board password`,
            ),
        }),
      ]
    : [];
  const guarded = [
    createRunRoutes({
      database: deps.config.database,
      archiveDir: deps.config.paths.archive,
      reportsDir: deps.config.paths.reports,
      logger: log,
    }),
    createSilenceRoutes({
      redis,
      prefix: deps.prefix,
      readOnly: deps.config.board.readOnly,
      logger: log,
    }),
    sameOriginJsonOnly(),
    createEditGuard(),
    createBullBoardRouter({
      queue: (name) => queues.get(name),
      basePath,
      readOnly: deps.config.board.readOnly,
    }),
  ];
  app.use(basePath, ...login, ...guarded);
  app.use(jsonErrors(log));

  let server: Server | undefined;
  const listen = (port = deps.config.board.port, host = deps.config.board.host) =>
    new Promise<{ url: string }>((resolve, reject) => {
      checkExposure(host, credentials, log);
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
