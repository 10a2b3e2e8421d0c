/**
 * `@runwarden/core/essentials`: everything in core except what needs BullMQ
 * (QueueSet, the worker harness). Short-lived commands import this
 * entry instead of the package's main one, so `runwarden status --json`, the
 * healthcheck every container runs every 30 s, never loads BullMQ.
 *
 * Every export is named: this list is core's public surface (what other
 * workspaces import), and `index.ts` adds the BullMQ half to it.
 */
export { commitFile, isTempOf, tempPathFor, writeFileAtomic } from './atomic-file.js';
export { ConfigError, RunwardenError, toError, UnsafeRunIdError } from './errors.js';
export { DURATION_HINT, formatDuration, parseDuration } from './duration.js';
export { parseTimestamp, toIsoTimestamp } from './timestamps.js';
export {
  assertSafeRunId,
  locateRunFile,
  pathForRun,
  runPagePath,
  type RunFileLocation,
} from './run-id.js';
export { escapeHtml, oneLine, showControlChars } from './untrusted-text.js';
export {
  ALERT_STATS,
  type AlertStat,
  alertStatsKey,
  type ArchiveJobProgress,
  parseAlertStats,
  parseArchiveProgress,
  leaseToken,
  parseLeaseHolder,
  parseScannerStatus,
  retentionStatusKey,
  scannerEpochKey,
  scannerLeaseKey,
  type ScannerStatus,
  scannerStatusKey,
} from './status-keys.js';
export {
  type ArchivalFailedEvent,
  emptyStepCounts,
  EVENT_TYPES,
  eventIds,
  type EventType,
  MAX_SNAPSHOT_STEPS,
  MONITOR_RUN_ID,
  type MonitorBlindEvent,
  type MonitorRecoveredEvent,
  type Outcome,
  RUN_STATES,
  type RunCompletedEvent,
  type RunSnapshot,
  type RunState,
  type RunwardenEvent,
  STEP_STATES,
  type StepCounts,
  stepsDone,
  type StepSnapshot,
  type StepState,
  TERMINAL_RUN_STATES,
} from './events.js';
export { alertableTypes, enqueueEvent, enqueueEvents, queuesFor } from './event-routing.js';
export { ALL_QUEUES, type QueueName, QUEUES } from './queues.js';
export {
  type AlertLedgerEntry,
  type ArchiveOutcome,
  type LedgerEntry,
  type RetentionLedgerEntry,
} from './ledger.js';
export {
  type AlertRule,
  type AlertsConfig,
  alertsConfigSchema,
  isHttpUrl,
  type EmailReportMode,
  MATCH_FIELDS,
  type RunwardenConfig,
  runwardenConfigSchema,
  type Severity,
} from './config/schema.js';
export { stallPeriods, type StallPeriod } from './stall-periods.js';
export {
  loadConfig,
  loadAlertsConfig,
  type LoadedConfig,
  type LoadConfigOptions,
} from './config/load.js';
export {
  checkRedis,
  closeRedisConnection,
  createRedisConnection,
  deleteKeysWithPrefix,
  evictionWarning,
  pingRedis,
  readRedisIdentity,
  type RedisCheck,
  type RedisConnection,
  replicaSafe,
  waitForReplicas,
} from './redis.js';
export {
  DEFAULT_REDIS_URL,
  describeTarget,
  parseRedisUrl,
  redactUrl,
  RedisCheckError,
  type RedisProblem,
} from './redis-url.js';
export { LuaScript } from './lua-script.js';
export { redisHealth, routeConsoleToLogger } from './redis-health.js';
export { createLogger, type Logger } from './logger.js';
export {
  type Closeable,
  closeAll,
  installShutdown,
  onceClose,
  type ShutdownOptions,
} from './closeable.js';
export {
  freePort,
  type PrivateRedis,
  REDIS_INSTALL_HINT,
  startPrivateRedis,
} from './private-redis.js';
