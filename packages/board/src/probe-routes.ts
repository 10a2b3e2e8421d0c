/**
 * What probes and Prometheus call, without credentials:
 *   /healthz  the process serves HTTP (liveness)
 *   /readyz   Redis answers PING and the scanner is not blind (readiness): 200,
 *             else 503 saying only "redis unreachable" and since when (no
 *             address, no error text), or why the scanner is blind, or that
 *             its status could not be read (never taken for "not blind")
 *   /metrics  Prometheus text format
 * /metrics is open like the probes because scrapers and container health
 * checks are not given the board password, and it holds no secrets: counts,
 * durations and the scanner lease holder's name.
 */
import type { Logger, RedisConnection } from '@runwarden/core';
import { Router } from 'express';
import type { BoardMetrics } from './board-metrics.js';
import { createRedisReadiness } from './redis-readiness.js';

export interface ProbeRoutesOptions {
  redisUrl: string;
  /** The board's connection, reused for PING while it is up. */
  redis: RedisConnection;
  metrics: BoardMetrics;
  logger: Logger;
  /**
   * How long /readyz waits for PONG.
   * @defaultValue 1000
   */
  readyTimeoutMs?: number;
  /** Why the scanner is blind (no scan succeeded for scanner.blindAfter), or undefined when it is not. */
  scannerBlind?: () => Promise<string | undefined>;
}

export function createProbeRoutes(options: ProbeRoutesOptions): Router {
  const router = Router();
  const startedAt = Date.now();
  const readiness = createRedisReadiness(options.redis, options.redisUrl);
  let lastLoggedSince: Date | undefined;
  let lastStatusError: string | undefined;

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
  });

  router.get('/readyz', async (_req, res) => {
    try {
      await readiness.check(options.readyTimeoutMs ?? 1_000);
      const blind = await options.scannerBlind?.().catch((err: unknown) => {
        // Not knowing whether the scanner sees is not "it sees": not ready, and said once.
        const text = (err as Error).message;
        if (text !== lastStatusError) {
          lastStatusError = text;
          options.logger.warn(
            { err: text },
            `Readiness fails: the scanner's status could not be read from Redis (${text}); /readyz answers 503 until it can`,
          );
        }
        return "unknown: the scanner's status could not be read (see the board's log)";
      });
      if (blind === undefined) lastStatusError = undefined;
      if (blind) {
        res.status(503).json({ status: 'unavailable', redis: 'ok', scanner: blind });
        return;
      }
      res.json({ status: 'ready', redis: 'ok' });
    } catch (err) {
      const since = readiness.since()!;
      // Once per outage: the process's Redis health reports the outage itself, boundedly.
      if (since !== lastLoggedSince) {
        lastLoggedSince = since;
        options.logger.warn(
          { err: (err as Error).message, since: since.toISOString() },
          `Readiness fails: Redis unreachable since ${since.toISOString()}. Check that Redis is up and REDIS_URL is right`,
        );
      }
      res
        .status(503)
        .json({ status: 'unavailable', redis: 'unreachable', since: since.toISOString() });
    }
  });

  router.get('/metrics', async (_req, res) => {
    try {
      const { contentType, body } = await options.metrics.render();
      res.type(contentType).send(body);
    } catch (err) {
      options.logger.error({ err: (err as Error).message }, 'Rendering /metrics failed');
      res
        .status(500)
        .type('text/plain')
        .send(`metrics failed: ${(err as Error).message}\n`);
    }
  });

  return router;
}
