/**
 * The `alert` queue: events in, deliveries and digests out.
 *
 *   event ──match rules──▶ none ──▶ ledger "skipped" + unmatched counter
 *         └─▶ per rule ──silenced? ──▶ ledger "silenced" + counter (nothing held or sent)
 *                      └─▶ decide (Redis, shared)──▶ send ──▶ delivery job per enabled channel
 *                                                └─▶ held ──▶ delayed digest job (id per group+window)
 *   digest job (window ended) ──takeDigest──▶ one digest notification ──▶ delivery jobs
 *
 * Every step is idempotent, so a redelivered or replayed job re-does only
 * what a crash may have left undone.
 */
import {
  alertNotification,
  decide,
  digestId,
  digestNotification,
  groupOf,
  incrementStat,
  matchRules,
  summarizeEvent,
  takeDigest,
  type Channel,
} from '@runwarden/alerts';
import {
  QUEUES,
  type AlertRule,
  type AlertsConfig,
  type Logger,
  type QueueSet,
  type RunwardenEvent,
} from '@runwarden/core';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { enabledChannels, enqueueDeliveries } from './deliveries.js';
import { DIGEST_JOB, type DigestJobData } from './job-data.js';
import { applySilences } from './silenced.js';

export interface AlertProcessorDeps {
  alerts: AlertsConfig;
  queues: QueueSet;
  /** Connection for the engine's own scripts and counters. */
  redis: Redis;
  logger: Logger;
  clock: () => number;
  channels: ReadonlyMap<string, Channel>;
  /** How long decisions, held events and "sent" marks are remembered. */
  memoryMs: number;
}

export function createAlertProcessor(deps: AlertProcessorDeps): (job: Job) => Promise<string> {
  return async (job) =>
    job.name === DIGEST_JOB
      ? flushDigest(deps, job.data as DigestJobData)
      : handleEvent(deps, job.data as RunwardenEvent);
}

async function recordSkip(
  deps: AlertProcessorDeps,
  event: RunwardenEvent,
  rule: string,
  detail: string,
): Promise<void> {
  await deps.queues.recordLedger({
    kind: 'alert',
    deliveryId: `${event.id}.${rule}`,
    eventId: event.id,
    runId: event.runId,
    rule,
    channel: '-',
    severity: '-',
    status: 'skipped',
    eventIds: [event.id],
    detail,
    at: new Date(deps.clock()).toISOString(),
  });
}

async function handleEvent(deps: AlertProcessorDeps, event: RunwardenEvent): Promise<string> {
  const rules = matchRules(deps.alerts, event);
  if (rules.length === 0) {
    deps.logger.debug(
      { eventId: event.id, runId: event.runId, type: event.type },
      `Event ${event.id} (run ${event.runId}) matches no alert rule; recorded as skipped`,
    );
    await incrementStat(deps.redis, deps.queues.prefix, 'unmatched');
    await recordSkip(deps, event, 'unmatched', 'no alert rule matches this event');
    return 'unmatched';
  }
  const outcomes: string[] = [];
  for (const rule of rules) outcomes.push(`${rule.name}:${await applyRule(deps, rule, event)}`);
  return outcomes.join(' ');
}

async function applyRule(
  deps: AlertProcessorDeps,
  rule: AlertRule,
  event: RunwardenEvent,
): Promise<string> {
  const silenced = await applySilences(deps, rule, event);
  if (silenced) return silenced;
  const channels = enabledChannels(deps.channels, rule.channels);
  if (channels.length === 0) {
    const detail = `every channel of rule ${rule.name} (${rule.channels.join(', ')}) is disabled`;
    deps.logger.warn(
      { eventId: event.id, runId: event.runId, rule: rule.name },
      `Alert for run ${event.runId} (${event.id}) not sent: ${detail}; enable one in alerts.yaml`,
    );
    await recordSkip(deps, event, rule.name, detail);
    return 'no-channel';
  }
  const now = deps.clock();
  const group = groupOf(rule, event);
  const decision = await decide(deps.redis, {
    prefix: deps.queues.prefix,
    rule: rule.name,
    throttleMs: rule.throttle,
    groupHash: group.hash,
    event: summarizeEvent(event),
    now,
    ttlMs: deps.memoryMs,
  });
  if (decision.action === 'send') {
    await enqueueDeliveries(
      deps.queues,
      alertNotification(deps.alerts, rule, event, now),
      channels,
    );
    return decision.replay ? 'send(replay)' : 'send';
  }
  const data: DigestJobData = {
    rule: rule.name,
    severity: rule.severity,
    groupKey: group.key,
    groupHash: group.hash,
    windowStart: decision.windowStart,
    windowEnd: decision.windowEnd,
    channels: channels.map((c) => c.name),
  };
  const id = digestId(rule.name, group.hash, decision.windowStart);
  // Only the first held event schedules the digest (its id is deterministic, so a replay may add it again
  // harmlessly): that spares a BullMQ add per event in a storm. If that job died before adding it, its retry does.
  if (decision.firstHeld || decision.replay) {
    await deps.queues.get(QUEUES.alert).add(
      DIGEST_JOB,
      data,
      deps.queues.jobOptions(QUEUES.alert, {
        jobId: id,
        delay: Math.max(0, decision.windowEnd - now),
      }),
    );
  }
  if (!decision.replay)
    deps.logger.info(
      { eventId: event.id, runId: event.runId, rule: rule.name, group: group.key, digest: id },
      `Alert for run ${event.runId} (${event.id}) held: rule ${rule.name} already notified ${group.key} in this window; it goes out in the digest at ${new Date(decision.windowEnd).toISOString()}`,
    );
  // On a replay too: the attempt that decided may have died (or lost its write to a Redis
  // failover) before its ledger job was added. Same job id and ON CONFLICT DO NOTHING, so never twice.
  await deps.queues.recordLedger({
    kind: 'alert',
    deliveryId: `${event.id}.${rule.name}`,
    eventId: event.id,
    runId: event.runId,
    rule: rule.name,
    channel: data.channels.join(','),
    severity: rule.severity,
    status: 'held',
    eventIds: [event.id],
    detail: `held for digest ${id}`,
    at: new Date(now).toISOString(),
  });
  return 'held';
}

async function flushDigest(deps: AlertProcessorDeps, d: DigestJobData): Promise<string> {
  const id = digestId(d.rule, d.groupHash, d.windowStart);
  const events = await takeDigest(deps.redis, {
    prefix: deps.queues.prefix,
    rule: d.rule,
    groupHash: d.groupHash,
    windowStart: d.windowStart,
    ttlMs: deps.memoryMs,
  });
  if (events.length === 0) return 'empty';
  const notification = digestNotification({
    id,
    rule: d.rule,
    severity: d.severity,
    group: { key: d.groupKey, hash: d.groupHash },
    windowStart: d.windowStart,
    windowEnd: d.windowEnd,
    events,
    now: deps.clock(),
  });
  const channels = enabledChannels(deps.channels, d.channels);
  if (channels.length === 0) {
    deps.logger.error(
      { digest: id, rule: d.rule, events: events.length },
      `Digest ${id} of ${events.length} held alert(s) has no enabled channel left (${d.channels.join(', ')}); enable one and retry the dead letter`,
    );
    throw new Error(`digest ${id}: no enabled channel among ${d.channels.join(', ')}`);
  }
  await enqueueDeliveries(deps.queues, notification, channels);
  deps.logger.info(
    { digest: id, rule: d.rule, group: d.groupKey, events: events.length },
    `Digest ${id}: ${events.length} held alert(s) of ${d.groupKey} queued for ${channels.map((c) => c.name).join(', ')}`,
  );
  return `digest of ${events.length}`;
}
