/**
 * `node apps/alert-worker/dist/main.js`: the alert worker on its own.
 * Reads config (exit 2 on a bad one, before touching Redis), starts, and
 * stops cleanly on SIGINT/SIGTERM.
 */
import {
  ConfigError,
  createLogger,
  createRedisConnection,
  installShutdown,
  loadConfig,
  onceClose,
  QueueSet,
} from '@runwarden/core';
import { createAlertWorker } from './create-alert-worker.js';

function main(): void {
  let loaded;
  try {
    loaded = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const { config, alerts } = loaded;
  const logger = createLogger({ role: 'alert-worker', level: config.log.level });
  const connection = createRedisConnection(config.redis.url, { name: 'runwarden:alert-queues' });
  const queues = new QueueSet({ connection, prefix: config.redis.prefix, config });
  const worker = createAlertWorker({ config, alerts, logger, queues, redisUrl: config.redis.url });
  installShutdown(
    {
      close: onceClose(async () => {
        await worker.close();
        await queues.close();
        await connection.quit();
      }),
    },
    logger,
  );
  logger.info(
    { prefix: config.redis.prefix },
    'Alert worker started: taking jobs from the alert and delivery queues',
  );
}

main();
