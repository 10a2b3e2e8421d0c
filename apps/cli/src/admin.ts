/**
 * A short-lived connection for the operator commands (status, dlq). It fails
 * fast: a person at a terminal wants an error, not a hang, when Redis is away.
 */
import {
  closeAll,
  closeRedisConnection,
  createLogger,
  createRedisConnection,
  QueueSet,
  type LoadedConfig,
} from '@runwarden/core';
import type { Redis } from 'ioredis';
import { checkConfiguredRedis } from './redis-bootstrap.js';

export interface Admin {
  redis: Redis;
  queues: QueueSet;
  prefix: string;
  close(): Promise<void>;
}

export async function openAdmin(
  loaded: LoadedConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Admin> {
  const { config } = loaded;
  await checkConfiguredRedis({
    url: config.redis.url,
    prefix: config.redis.prefix,
    env,
    logger: createLogger({ role: 'cli', level: config.log.level }),
    configFile: loaded.file,
  });
  const redis = createRedisConnection(config.redis.url, { name: 'runwarden:cli' });
  const queues = new QueueSet({ connection: redis, prefix: config.redis.prefix, config });
  return {
    redis,
    queues,
    prefix: config.redis.prefix,
    close: () => closeAll([() => queues.close(), () => closeRedisConnection(redis)], 'admin close'),
  };
}
