export * from './errors.js';
export * from './duration.js';
export * from './run-id.js';
export * from './untrusted-text.js';
export * from './status-keys.js';
export * from './events.js';
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
export * from './redis-health.js';
export * from './logger.js';
export * from './closeable.js';
export * from './queue-set.js';
export * from './harness.js';
export * from './private-redis.js';
export * from './run-role.js';
