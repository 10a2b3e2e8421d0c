/**
 * Redis can lose its data (FLUSHALL, a restart without AOF, a failover to an
 * empty replica) while the outbox says every event was enqueued. The scanner
 * notices and puts back what the ledger has not acknowledged:
 *
 *   every scan: GET <prefix>:scanner:epoch ── same token as SQLite's redis_epoch? ─▶ nothing
 *        │ gone, or another token
 *        ▼
 *   new token (Redis and SQLite) ─▶ outbox events of the last 7 days without
 *   a report (run_completed: report + archive flow) or an alert row (alert job)
 *   ─▶ added again under their event ids (an id Redis still holds is ignored)
 *   ─▶ one log line with the counts
 *
 * Seven days is how long completed jobs are kept: older acknowledged-or-not
 * events are past the horizon a re-add could be checked against.
 */
import { randomUUID } from 'node:crypto';
import {
  enqueueEvent,
  type EventType,
  type Logger,
  QUEUES,
  type QueueSet,
  queuesFor,
  scannerEpochKey,
} from '@runwarden/core';
import type { ScannerStore } from '@runwarden/store';
import type { Redis } from 'ioredis';

const HORIZON_MS = 7 * 24 * 60 * 60_000;
const BATCH = 500;

export interface RedisReconcileOptions {
  redis: Redis;
  queues: QueueSet;
  logger: Logger;
  alertTypes?: ReadonlySet<EventType>;
  /** Checked before each batch is added: is the lease still ours? */
  fence: () => Promise<boolean>;
}

export interface ReconcileOutcome {
  flows: number;
  alerts: number;
}

/** Checks the epoch token; when Redis lost its data, re-enqueues what is unacknowledged. */
export async function reconcileRedis(
  store: ScannerStore,
  options: RedisReconcileOptions,
): Promise<ReconcileOutcome | undefined> {
  const key = scannerEpochKey(options.queues.prefix);
  const recorded = store.getState('redis_epoch');
  const current = await options.redis.get(key);
  if (current !== null && current === recorded) return undefined;
  if (recorded === undefined) {
    // First run against this database: adopt Redis's token, or make one.
    const token = current ?? randomUUID();
    if (current === null) await options.redis.set(key, token, 'NX');
    store.setState('redis_epoch', (await options.redis.get(key)) ?? token);
    return undefined;
  }
  if (!(await options.fence())) return undefined;
  const token = randomUUID();
  const outcome = await reenqueue(store, options);
  await options.redis.set(key, token);
  store.setState('redis_epoch', token);
  options.logger.warn(
    { ...outcome, epochWas: recorded, epochFound: current },
    `Redis lost its data (${current === null ? "the scanner's marker is gone" : 'another marker is there'}: FLUSHALL, a restart without AOF, or a failover to an empty replica). Re-enqueued what the ledger had not acknowledged: ${outcome.flows} report+archive flow(s) and ${outcome.alerts} alert job(s). Dead letters and alert throttle state from before are gone; keep AOF on (docs: "Beyond one Redis")`,
  );
  return outcome;
}

async function reenqueue(
  store: ScannerStore,
  options: RedisReconcileOptions,
): Promise<ReconcileOutcome> {
  const since = new Date(Date.now() - HORIZON_MS).toISOString();
  const outcome = { flows: 0, alerts: 0 };
  let after = 0;
  for (;;) {
    const batch = store.unacknowledged(since, after, BATCH);
    if (batch.length === 0) break;
    if (!(await options.fence())) break;
    for (const { event, reported, alerted } of batch) {
      const flow = event.type === 'run_completed' && !reported;
      const alert = !alerted && queuesFor(event, options.alertTypes).includes(QUEUES.alert);
      if (!flow && !alert) continue;
      await enqueueEvent(options.queues, event, options.alertTypes, { flow, alert });
      if (flow) outcome.flows += 1;
      if (alert) outcome.alerts += 1;
    }
    after = batch.at(-1)!.seq;
    if (batch.length < BATCH) break;
  }
  return outcome;
}
