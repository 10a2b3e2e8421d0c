/**
 * A short-lived connection for the operator commands (status, dlq). It fails
 * fast: a person at a terminal wants an error, not a hang, when Redis is away.
 */
import {
  closeAll,
  createRedisConnection,
  pingRedis,
  QueueSet,
  type LoadedConfig,
} from '@runwarden/core';
import type { Redis } from 'ioredis';
import { CliError } from './cli-error.js';

export interface Admin {
  redis: Redis;
  queues: QueueSet;
  prefix: string;
  close(): Promise<void>;
}

export async function openAdmin(loaded: LoadedConfig): Promise<Admin> {
  const { config } = loaded;
  try {
    await pingRedis(config.redis.url);
  } catch (err) {
    throw new CliError(
      `${(err as Error).message}: is runwarden's Redis running? Check redis.url in ${loaded.file} or REDIS_URL.`,
    );
  }
  const redis = createRedisConnection(config.redis.url, { name: 'runwarden:cli' });
  const queues = new QueueSet({ connection: redis, prefix: config.redis.prefix, config });
  return {
    redis,
    queues,
    prefix: config.redis.prefix,
    close: () => closeAll([() => queues.close(), () => redis.quit()], 'admin close'),
  };
}
