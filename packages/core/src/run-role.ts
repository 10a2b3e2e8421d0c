/**
 * The standalone main of a role (`node apps/<role>/dist/main.js [--config f]`):
 *
 *   --config / RUNWARDEN_CONFIG ──▶ loadConfig (exit 2 on a bad file, before Redis)
 *     ──▶ logger, Redis connection, QueueSet ──▶ start(deps) ──▶ run until SIGINT/SIGTERM
 *     ──▶ close the role, then the queues and the connection; exit 0
 *
 * The `runwarden` CLI is the usual way to start a role; these mains let an
 * app run without it.
 */
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { onceClose, installShutdown, type Closeable } from './closeable.js';
import type { AlertsConfig, RunwardenConfig } from './config/schema.js';
import { loadConfig } from './config/load.js';
import { ConfigError, RunwardenError } from './errors.js';
import { createLogger } from './logger.js';
import { QueueSet } from './queue-set.js';
import { describeJobsInHand } from './harness.js';
import { checkRedis, closeRedisConnection, createRedisConnection, parseRedisUrl } from './redis.js';
import { redisHealth, routeConsoleToLogger } from './redis-health.js';

export interface RoleDeps {
  config: RunwardenConfig;
  alerts: AlertsConfig;
  logger: Logger;
  queues: QueueSet;
  redisUrl: string;
}

export async function runRole(
  role: string,
  start: (deps: RoleDeps) => Promise<Closeable>,
): Promise<void> {
  let loaded;
  try {
    const { values } = parseArgs({ options: { config: { type: 'string' } }, strict: false });
    loaded = loadConfig({
      configPath: typeof values.config === 'string' ? values.config : undefined,
    });
  } catch (err) {
    console.error(err instanceof ConfigError ? `Configuration is invalid:\n${err.message}` : err);
    process.exit(2);
  }
  const { config, alerts } = loaded;
  const logger = createLogger({ role, level: config.log.level });
  routeConsoleToLogger(logger);
  redisHealth.useLogger(logger);
  try {
    // A Redis that refuses the login or is not a master is an error now, not an outage to wait out.
    await checkRedis(parseRedisUrl(config.redis.url), { prefix: config.redis.prefix });
  } catch (err) {
    logger.fatal(`${role} could not start: ${(err as Error).message}`);
    logger.flush();
    process.exit(err instanceof RunwardenError && err.code === 'USAGE' ? 2 : 1);
  }
  const connection = createRedisConnection(config.redis.url, { name: `runwarden:${role}` });
  const queues = new QueueSet({ connection, prefix: config.redis.prefix, config });
  try {
    const started = await start({ config, alerts, logger, queues, redisUrl: config.redis.url });
    const close = onceClose(async () => {
      await started.close();
      await queues.close();
      await closeRedisConnection(connection);
    });
    installShutdown({ close }, logger, process.exit, {
      timeoutMs: config.shutdownTimeout,
      inHand: describeJobsInHand,
    });
    logger.info(`${role} started with ${loaded.file}`);
  } catch (err) {
    logger.fatal(
      { err: (err as Error).message },
      `${role} could not start: ${(err as Error).message}`,
    );
    logger.flush();
    process.exit(err instanceof RunwardenError && err.code === 'USAGE' ? 2 : 1);
  }
}
