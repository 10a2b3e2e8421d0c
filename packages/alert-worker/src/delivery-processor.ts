/**
 * The `delivery` queue: one notification to one channel, at most once.
 *
 *   job ──pace (paced channels)──▶ claim ──▶ send ──▶ mark sent ──▶ ledger
 *        far slot: delayed job     "sent" already: skip (deduplicated)
 *                                  mark fails (Redis failing over): retried in place, not re-sent
 *                                  send failed: release claim, then
 *                                    429 → hold the channel until Retry-After, delay this job (no attempt used)
 *                                    permanent (4xx, SMTP 5xx) → UnrecoverableError → dead letter
 *                                    otherwise → retried with backoff
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChannelError,
  claimDelivery,
  holdChannelUntil,
  incrementStat,
  markDeliverySent,
  releaseDelivery,
  reserveSlot,
  type Channel,
} from '@runwarden/alerts';
import { toError, type Logger, type QueueSet } from '@runwarden/core';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { deliveryId, type DeliveryJobData } from './job-data.js';

export interface DeliveryProcessorDeps {
  queues: QueueSet;
  redis: Redis;
  logger: Logger;
  clock: () => number;
  channels: ReadonlyMap<string, Channel>;
  memoryMs: number;
  /** A paced channel's job waits in the worker for a slot this near, and is delayed for a later one. @defaultValue 5000 */
  maxPaceWaitMs?: number;
  /** After this many rate-limited starts a delivery fails like any other error, so it cannot wait forever. @defaultValue 100 */
  maxRateLimitedStarts?: number;
}

/**
 * Waits for the channel's next send slot. Unpaced channels (interval 0) still
 * go through it, so a hold set by a 429's Retry-After applies to every job of
 * that channel, and only of that channel. The console never answers 429.
 */
async function pace(deps: DeliveryProcessorDeps, job: Job, channel: Channel): Promise<void> {
  if (!channel.minIntervalMs && channel.name === 'console') return;
  const wait = await reserveSlot(
    deps.redis,
    deps.queues.prefix,
    channel.name,
    channel.minIntervalMs ?? 0,
    deps.maxPaceWaitMs ?? 5_000,
  );
  if (wait > 0) await sleep(wait);
  if (wait < 0) {
    await job.moveToDelayed(Date.now() - wait, job.token);
    throw new DelayedError();
  }
}

async function onSendFailure(
  deps: DeliveryProcessorDeps,
  job: Job<DeliveryJobData>,
  thrown: unknown,
): Promise<never> {
  await incrementStat(deps.redis, deps.queues.prefix, 'failed');
  const err = toError(thrown);
  if (
    err instanceof ChannelError &&
    err.kind === 'rate_limited' &&
    job.attemptsStarted < (deps.maxRateLimitedStarts ?? 100)
  ) {
    const waitMs = Math.max(1, err.retryAfterMs ?? 1_000);
    deps.logger.warn(
      { jobId: job.id, channel: err.channel, retryAfterMs: waitMs },
      `${err.channel} is rate limiting us (HTTP 429); delivery ${job.id} and every other ${err.channel} delivery wait ${waitMs} ms as asked, then retry`,
    );
    // Only this channel waits: BullMQ's queue.rateLimit would also hold up
    // email and webhook deliveries, which Slack's limit has nothing to do with.
    await holdChannelUntil(deps.redis, deps.queues.prefix, err.channel, Date.now() + waitMs);
    await job.moveToDelayed(Date.now() + waitMs, job.token);
    throw new DelayedError();
  }
  if (err instanceof ChannelError && err.kind === 'permanent')
    throw new UnrecoverableError(err.message);
  throw err;
}

export function createDeliveryProcessor(
  deps: DeliveryProcessorDeps,
): (job: Job<DeliveryJobData>) => Promise<string> {
  const prefix = deps.queues.prefix;
  return async (job) => {
    const { notification } = job.data;
    const id = deliveryId(notification, job.data.channel);
    const channel = deps.channels.get(job.data.channel);
    if (!channel?.enabled) {
      throw new UnrecoverableError(
        `channel ${job.data.channel} is ${channel ? `disabled (${channel.disabledReason})` : 'unknown'}; enable it and retry this dead letter`,
      );
    }
    await pace(deps, job, channel);
    const token = `${job.token ?? 'no-token'}.${job.attemptsStarted}`;
    const claim = await claimDelivery(deps.redis, {
      prefix,
      deliveryId: id,
      token,
      leaseMs: channel.timeoutMs + 5_000,
    });
    const record = (detail: string) =>
      deps.queues.recordLedger({
        kind: 'alert',
        deliveryId: id,
        eventId: notification.eventCount === 1 ? (notification.eventIds[0] ?? null) : null,
        runId: notification.eventCount === 1 ? (notification.events[0]?.runId ?? null) : null,
        rule: notification.rule,
        channel: channel.name,
        severity: notification.severity,
        status: notification.kind === 'digest' ? 'digest_sent' : 'sent',
        eventIds: notification.eventIds,
        detail,
        at: new Date(deps.clock()).toISOString(),
      });
    if (claim === 'sent') {
      deps.logger.info(
        { deliveryId: id, channel: channel.name },
        `Delivery ${id} was already sent; not sending it again`,
      );
      // The attempt that sent it may have died (or lost its write to a Redis failover) before its
      // ledger job was added: add it again. Same job id and ON CONFLICT DO NOTHING, so never twice.
      await record('sent by an earlier attempt (its reply was not kept)');
      return 'already sent';
    }
    if (claim === 'busy')
      throw new Error(`delivery ${id} is being sent by another worker right now; will check again`);
    let detail: string;
    try {
      detail = await channel.send(notification);
    } catch (thrown) {
      await releaseDelivery(deps.redis, prefix, id, token);
      return onSendFailure(deps, job, thrown);
    }
    await markSentDespiteOutage(
      deps,
      () => markDeliverySent(deps.redis, prefix, id, deps.memoryMs),
      id,
    );
    await record(detail);
    return detail;
  };
}

/** How long a sent message's mark is retried before the job fails (below BullMQ's 30 s lock). */
const MARK_RETRY_MS = 20_000;

/**
 * The channel has the message: failing the job now would send it again on
 * retry. A Redis that is failing over (Sentinel, Cluster: seconds) or
 * restarting refuses the mark for a while, so it is retried in place, in
 * the job that holds the lock, until it is written or MARK_RETRY_MS pass.
 */
async function markSentDespiteOutage(
  deps: DeliveryProcessorDeps,
  mark: () => Promise<void>,
  id: string,
): Promise<void> {
  const deadline = Date.now() + MARK_RETRY_MS;
  for (let wait = 100; ; wait = Math.min(wait * 2, 1_000)) {
    try {
      await mark();
      return;
    } catch (err) {
      if (Date.now() + wait > deadline) throw err;
      deps.logger.debug(
        { deliveryId: id, err: toError(err).message },
        `Delivery ${id} was sent but its mark could not be written yet; retrying`,
      );
      await sleep(wait);
    }
  }
}
