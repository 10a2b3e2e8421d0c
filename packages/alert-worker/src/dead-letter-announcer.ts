/**
 * A delivery that exhausted its retries is already copied to `dead-letter` by
 * the harness; here it is recorded and announced on every other working
 * channel (the console among them), never on the channel that failed.
 * Announcements that fail for good are logged, not announced again.
 */
import { deadLetterNotification, incrementStat, type Channel } from '@runwarden/alerts';
import type { Logger, QueueSet } from '@runwarden/core';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { enqueueDeliveries } from './deliveries.js';
import { deliveryId, type DeliveryJobData } from './job-data.js';

export interface DeadLetterAnnouncerDeps {
  queues: QueueSet;
  redis: Redis;
  logger: Logger;
  clock: () => number;
  channels: ReadonlyMap<string, Channel>;
}

export function createDeadLetterAnnouncer(
  deps: DeadLetterAnnouncerDeps,
): (job: Job<DeliveryJobData>, error: Error) => Promise<void> {
  return async (job, error) => {
    const { notification, channel } = job.data;
    const id = deliveryId(notification, channel);
    await incrementStat(deps.redis, deps.queues.prefix, 'deadLettered');
    await deps.queues.recordLedger({
      kind: 'alert',
      deliveryId: id,
      eventId: notification.eventCount === 1 ? (notification.eventIds[0] ?? null) : null,
      runId: notification.eventCount === 1 ? (notification.events[0]?.runId ?? null) : null,
      rule: notification.rule,
      channel,
      severity: notification.severity,
      status: 'failed',
      eventIds: notification.eventIds,
      detail: error.message,
      at: new Date(deps.clock()).toISOString(),
    });
    const others = [...deps.channels.values()].filter((c) => c.enabled && c.name !== channel);
    deps.logger.error(
      {
        deliveryId: id,
        channel,
        rule: notification.rule,
        err: error.message,
        announcedOn: others.map((c) => c.name),
      },
      `Alert ${notification.id} could not be sent to ${channel} after all retries (${error.message}); it is in the dead-letter queue: fix the channel, then \`runwarden dlq retry\``,
    );
    if (notification.kind === 'dead_letter') return;
    await enqueueDeliveries(
      deps.queues,
      deadLetterNotification(notification, channel, error.message, deps.clock()),
      others,
    );
  };
}
