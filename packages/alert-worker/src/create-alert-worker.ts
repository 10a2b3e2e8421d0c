/**
 * The alert worker process: the `alert` worker (events and digest flushes)
 * and the `delivery` worker (one notification to one channel), sharing the
 * channels and one Redis connection for the engine's scripts and counters.
 * Any number may run at once; all state lives in Redis.
 */
import { createChannels, logChannelStatus, type Channel } from '@runwarden/alerts';
import {
  closeAll,
  createQueueWorker,
  createRedisConnection,
  onceClose,
  QUEUES,
  type AlertsConfig,
  type Logger,
  type QueueSet,
  type RunwardenConfig,
} from '@runwarden/core';
import { createAlertProcessor } from './alert-processor.js';
import { createDeadLetterAnnouncer } from './dead-letter-announcer.js';
import { createDeliveryProcessor } from './delivery-processor.js';
import type { DeliveryJobData } from './job-data.js';

export interface AlertWorkerDeps {
  config: RunwardenConfig;
  alerts: AlertsConfig;
  logger: Logger;
  queues: QueueSet;
  redisUrl: string;
  /** Decides throttle windows. @defaultValue Date.now */
  clock?: () => number;
  /** Replaces the channels built from `alerts` (tests); a channel a rule names but not given here is disabled. */
  channels?: Channel[];
  /** Where the console channel writes. @defaultValue process.stdout */
  consoleOut?: NodeJS.WritableStream;
  /** @defaultValue 16 */
  alertConcurrency?: number;
  /** @defaultValue 16 */
  deliveryConcurrency?: number;
  /**
   * How long an event's decision and a delivery's "sent" mark are remembered:
   * the horizon of "never notified twice".
   * @defaultValue 30 days
   */
  memoryMs?: number;
}

export interface AlertWorker {
  close(): Promise<void>;
}

const THIRTY_DAYS = 30 * 24 * 3_600_000;

export function createAlertWorker(deps: AlertWorkerDeps): AlertWorker {
  const clock = deps.clock ?? Date.now;
  const logger = deps.logger.child({ component: 'alert-worker' });
  const channelList =
    deps.channels ??
    createChannels(deps.alerts, {
      ...(deps.consoleOut ? { consoleOut: deps.consoleOut } : {}),
      clock,
      reportsDir: deps.config.paths.reports,
    });
  logChannelStatus(channelList, logger, deps.alerts.rules);
  const channels = new Map(channelList.map((c) => [c.name, c]));
  const redis = createRedisConnection(deps.redisUrl, { name: 'runwarden:alert-engine' });
  redis.on('error', (err) =>
    logger.warn({ err: err.message }, 'Redis connection problem for the alert engine; retrying'),
  );
  const memoryMs = deps.memoryMs ?? THIRTY_DAYS;
  const shared = { queues: deps.queues, redis, logger, clock, channels, memoryMs };

  const alertWorker = createQueueWorker({
    queue: QUEUES.alert,
    redisUrl: deps.redisUrl,
    queues: deps.queues,
    logger,
    concurrency: deps.alertConcurrency ?? 16,
    lockDuration: deps.config.queues.alert.lockDuration,
    processor: createAlertProcessor({ ...shared, alerts: deps.alerts }),
  });
  const deliveryWorker = createQueueWorker<DeliveryJobData, string>({
    queue: QUEUES.delivery,
    redisUrl: deps.redisUrl,
    queues: deps.queues,
    logger,
    concurrency: deps.deliveryConcurrency ?? 16,
    // Longer than any channel's send plus its claim lease, so a slow SMTP server is not mistaken for a stalled job.
    lockDuration: Math.max(
      deps.config.queues.alert.lockDuration,
      ...channelList.map((c) => c.timeoutMs * 2 + 10_000),
    ),
    processor: createDeliveryProcessor(shared),
    onDeadLetter: createDeadLetterAnnouncer(shared),
  });

  return {
    close: onceClose(() =>
      closeAll(
        [
          () => alertWorker.close(),
          () => deliveryWorker.close(),
          ...channelList.map((c) => () => c.close?.()),
          () => redis.quit().catch(() => redis.disconnect()),
        ],
        'alert worker close',
      ),
    ),
  };
}
