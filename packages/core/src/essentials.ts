/**
 * `@runwarden/core/essentials`: everything in core except what needs BullMQ
 * (QueueSet, the worker harness). Short-lived commands import this
 * entry instead of the package's main one, so `runwarden status --json`, the
 * healthcheck every container runs every 30 s, never loads BullMQ.
 */
export * from './errors.js';
export * from './duration.js';
export * from './timestamps.js';
export * from './run-id.js';
export * from './untrusted-text.js';
export * from './status-keys.js';
export * from './events.js';
export * from './stall-periods.js';
export * from './queues.js';
export * from './ledger.js';
export * from './config/schema.js';
export * from './config/env.js';
export {
  loadConfig,
  loadAlertsConfig,
  type LoadedConfig,
  type LoadConfigOptions,
} from './config/load.js';
export * from './redis.js';
export * from './lua-script.js';
export * from './redis-health.js';
export * from './logger.js';
export * from './closeable.js';
export * from './private-redis.js';
