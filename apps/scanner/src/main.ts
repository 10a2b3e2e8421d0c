/**
 * `node apps/scanner/dist/main.js [--config file]`: the scanner on its own.
 * The logic is in createScanner; this only reads config and wires it up.
 */
import {
  ConfigError,
  QueueSet,
  createLogger,
  createRedisConnection,
  installShutdown,
  loadConfig,
  RunwardenError,
} from '@runwarden/core';
import { createScanner } from './scanner.js';

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--config');
  const { config } = loadConfig(flag >= 0 ? { configPath: process.argv[flag + 1] } : {});
  const logger = createLogger({ role: 'scanner', level: config.log.level });
  const connection = createRedisConnection(config.redis.url, { name: 'runwarden:scanner-queues' });
  const queues = new QueueSet({ connection, prefix: config.redis.prefix, config });
  const scanner = createScanner({ config, logger, queues, redisUrl: config.redis.url });
  installShutdown(
    {
      close: async () => {
        await scanner.close();
        await queues.close();
        connection.disconnect();
      },
    },
    logger,
  );
  await scanner.start();
}

main().catch((err: unknown) => {
  console.error(err instanceof RunwardenError ? err.message : err);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
