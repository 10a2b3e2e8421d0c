// Runs the archive worker on its own: `node apps/archive-worker/dist/main.js`.
import {
  createLogger,
  createRedisConnection,
  installShutdown,
  loadConfig,
  QueueSet,
} from '@runwarden/core';
import { createArchiveWorker } from './archive-worker.js';

const { config } = loadConfig();
const logger = createLogger({ role: 'archive-worker', level: config.log.level });
const connection = createRedisConnection(config.redis.url, { name: 'runwarden:archive-worker' });
const queues = new QueueSet({ connection, prefix: config.redis.prefix, config });
const worker = createArchiveWorker({ config, logger, queues, redisUrl: config.redis.url });
installShutdown(
  {
    close: async () => {
      await worker.close();
      await queues.close();
      connection.disconnect();
    },
  },
  logger,
);
logger.info({ concurrency: config.archive.concurrency }, 'Archive worker started');
