/**
 * Test fixture: an archive worker in a process of its own, so a test can
 * kill -9 it mid-zip. Started with
 * `node --conditions=@runwarden/source --import tsx archive-worker.child.ts`
 * and configured by RW_* environment variables.
 */
import {
  createLogger,
  createRedisConnection,
  QueueSet,
  runwardenConfigSchema,
} from '@runwarden/core';
import { createArchiveWorker } from './archive-worker.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const config = runwardenConfigSchema.parse({
  redis: { url: env('RW_REDIS_URL'), prefix: env('RW_PREFIX') },
  paths: { worktrees: env('RW_WORKTREES'), archive: env('RW_ARCHIVE') },
});
const logger = createLogger({ role: 'archive-worker-child' });
const connection = createRedisConnection(config.redis.url);
const queues = new QueueSet({ connection, prefix: config.redis.prefix, config });
createArchiveWorker({
  config,
  logger,
  queues,
  redisUrl: config.redis.url,
  lockDuration: Number(env('RW_LOCK_MS')),
  progressIntervalMs: 50,
});
logger.info('archive worker child started');
