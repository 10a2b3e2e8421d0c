/**
 * Short-lived connections for the operator commands (status, dlq). They fail
 * fast: a person at a terminal wants an error, not a hang, when Redis is away.
 */
import {
  closeAll,
  closeRedisConnection,
  createLogger,
  createRedisConnection,
  type LoadedConfig,
  type Logger,
} from '@runwarden/core/essentials';
import type { QueueSet } from '@runwarden/core';
import type { Redis } from 'ioredis';
import { checkConfiguredRedis } from './redis-bootstrap.js';

/** A checked Redis connection, without BullMQ (status reads the queues' keys itself). */
export interface AdminRedis {
  redis: Redis;
  prefix: string;
  close(): Promise<void>;
}

/** A checked connection with the queues (BullMQ), for commands that move jobs. */
export interface Admin extends AdminRedis {
  queues: QueueSet;
}

export async function openAdminRedis(
  loaded: LoadedConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AdminRedis> {
  const { config } = loaded;
  // Created on the first warning only: status (the healthcheck) usually logs nothing.
  let logger: Logger | undefined;
  const log = () => (logger ??= createLogger({ role: 'cli', level: config.log.level }));
  await checkConfiguredRedis({
    url: config.redis.url,
    prefix: config.redis.prefix,
    env,
    logger: { warn: (obj, msg) => log().warn(obj, msg), info: (obj, msg) => log().info(obj, msg) },
    configFile: loaded.file,
  });
  const redis = createRedisConnection(config.redis.url, { name: 'runwarden:cli' });
  return {
    redis,
    prefix: config.redis.prefix,
    close: () => closeRedisConnection(redis),
  };
}

export async function openAdmin(
  loaded: LoadedConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Admin> {
  const base = await openAdminRedis(loaded, env);
  const { QueueSet } = await import('@runwarden/core');
  const queues = new QueueSet({
    connection: base.redis,
    prefix: base.prefix,
    config: loaded.config,
  });
  return {
    ...base,
    queues,
    close: () => closeAll([() => queues.close(), base.close], 'admin close'),
  };
}
