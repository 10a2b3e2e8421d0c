// Runs the report worker on its own: `node apps/report-worker/dist/main.js`.
import {
  createLogger,
  createRedisConnection,
  installShutdown,
  loadConfig,
  QueueSet,
} from '@runwarden/core';
import { createReportWorker } from './report-worker.js';

const { config } = loadConfig();
const logger = createLogger({ role: 'report-worker', level: config.log.level });
const connection = createRedisConnection(config.redis.url, { name: 'runwarden:report-worker' });
const queues = new QueueSet({ connection, prefix: config.redis.prefix, config });
const worker = createReportWorker({ config, logger, queues, redisUrl: config.redis.url });
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
logger.info('Report worker started');
