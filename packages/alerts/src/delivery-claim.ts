/**
 * At most once per delivery, without losing one to a crash.
 *
 *   claim (SET NX, short lease) ──▶ send ──▶ mark sent (long TTL)
 *                                      └─ error ──▶ release the lease ──▶ retried
 *
 * Why this order: claiming "sent" before sending would lose the notification
 * if the process died before the send; marking after sending without a claim
 * would let two racing workers both send. The lease is short (the channel's
 * timeout plus a margin, below BullMQ's lock duration), so a worker that died
 * mid-send leaves nothing that blocks the retry.
 * Failover (Sentinel, Cluster): Redis replicates asynchronously, so a "sent"
 * mark acknowledged by a master that dies a moment later may never reach the
 * replica that takes over; the job, retried there, would send again (seen
 * once in 600 runs). `markDeliverySent` therefore waits (WAIT, at most 1 s)
 * until a replica has the mark before the job completes, when the master has
 * replicas; on one server it costs nothing.
 * Residual risk: a process that dies after the channel accepted the message
 * but before the "sent" mark is written sends it once more on retry (a
 * duplicate, never a loss). Receivers can drop it by the notification id
 * (webhook `Idempotency-Key`, `dedupKey`).
 */
import { waitForReplicas, LuaScript } from '@runwarden/core';
import type { Redis } from 'ioredis';
import { alertKeys } from './keys.js';

const CLAIM = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if v == 'sent' then
  redis.call('HINCRBY', KEYS[2], 'deduplicated', 1)
  return 'sent'
end
if v and v ~= ARGV[1] then return 'busy' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 'claimed'
`);

const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`);

/** Idempotent, so a mark retried after a failover counts the delivery once. */
const MARK_SENT = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= 'sent' then redis.call('HINCRBY', KEYS[2], 'sent', 1) end
redis.call('SET', KEYS[1], 'sent', 'PX', tonumber(ARGV[1]))
return 1
`);

export type ClaimResult = 'claimed' | 'sent' | 'busy';

export interface DeliveryClaimOptions {
  prefix: string;
  deliveryId: string;
  /** Identifies this attempt (job token and attempt number). */
  token: string;
  leaseMs: number;
}

export async function claimDelivery(redis: Redis, o: DeliveryClaimOptions): Promise<ClaimResult> {
  const keys = [alertKeys.delivery(o.prefix, o.deliveryId), alertKeys.stats(o.prefix)];
  return (await CLAIM.run(redis, keys, [o.token, o.leaseMs])) as ClaimResult;
}

export async function markDeliverySent(
  redis: Redis,
  prefix: string,
  deliveryId: string,
  ttlMs: number,
): Promise<void> {
  const key = alertKeys.delivery(prefix, deliveryId);
  await MARK_SENT.run(redis, [key, alertKeys.stats(prefix)], [ttlMs]);
  await waitForReplicas(redis, key);
}

export async function releaseDelivery(
  redis: Redis,
  prefix: string,
  deliveryId: string,
  token: string,
): Promise<void> {
  await RELEASE.run(redis, [alertKeys.delivery(prefix, deliveryId)], [token]);
}
