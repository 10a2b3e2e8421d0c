/**
 * Throttle windows and digests, shared by every alert worker through Redis.
 *
 *   event ──decide──▶ first of its group in the window ──▶ "send" (window opens)
 *                 └─▶ window open ──▶ "held" (added to the window's held hash)
 *   window end ──takeDigest──▶ held hash renamed to the digest's key ──▶ one digest
 *
 * Both steps are single Lua scripts, so racing workers cannot both open a
 * window or both take a digest, and an event is held in exactly one window.
 * Each is idempotent: the decision for (rule, event) is stored, so a
 * redelivered event gets the same answer, and a replayed digest gets the same
 * events. Time comes from the caller's clock (ARGV), not Redis, so tests can
 * move it; key TTLs only collect garbage.
 */
import { LuaScript } from '@runwarden/core';
import type { Redis } from 'ioredis';
import { alertKeys } from './keys.js';
import type { EventSummary } from './notification.js';

const DECIDE = new LuaScript(`
local prev = redis.call('GET', KEYS[1])
if prev then return {1, prev, 0} end
local now, throttle, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[5])
local decision
local first = 0
if throttle <= 0 then
  decision = 'send|' .. now .. '|' .. now
else
  local w = redis.call('HMGET', KEYS[2], 'start', 'end', 'flushed')
  local start, stop = tonumber(w[1]), tonumber(w[2])
  if start and stop and now < stop and w[3] ~= '1' then
    local held = ARGV[6] .. w[1]
    redis.call('HSET', held, ARGV[3], ARGV[4])
    if redis.call('HLEN', held) == 1 then first = 1 end
    redis.call('PEXPIRE', held, ttl)
    redis.call('HINCRBY', KEYS[3], 'held', 1)
    decision = 'held|' .. w[1] .. '|' .. w[2]
  else
    redis.call('HSET', KEYS[2], 'start', now, 'end', now + throttle, 'flushed', '0')
    redis.call('PEXPIRE', KEYS[2], throttle * 2 + 60000)
    decision = 'send|' .. now .. '|' .. (now + throttle)
  end
end
redis.call('SET', KEYS[1], decision, 'PX', ttl)
return {0, decision, first}
`);

const TAKE = new LuaScript(`
if redis.call('EXISTS', KEYS[3]) == 0 then
  if redis.call('HGET', KEYS[1], 'start') == ARGV[1] then redis.call('HSET', KEYS[1], 'flushed', '1') end
  if redis.call('EXISTS', KEYS[2]) == 0 then return {} end
  redis.call('RENAME', KEYS[2], KEYS[3])
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[2]))
  redis.call('HINCRBY', KEYS[4], 'digests', 1)
end
return redis.call('HVALS', KEYS[3])
`);

export interface ThrottleDecision {
  action: 'send' | 'held';
  /** True when this (rule, event) was decided before: a redelivery or replay. */
  replay: boolean;
  /** True for the first event held in its window: the one that schedules the digest. */
  firstHeld: boolean;
  windowStart: number;
  windowEnd: number;
}

export interface DecideOptions {
  prefix: string;
  rule: string;
  throttleMs: number;
  groupHash: string;
  event: EventSummary;
  now: number;
  /** How long decisions and held events are remembered. */
  ttlMs: number;
}

export async function decide(redis: Redis, o: DecideOptions): Promise<ThrottleDecision> {
  const keys = [
    alertKeys.decided(o.prefix, o.rule, o.event.id),
    alertKeys.window(o.prefix, o.rule, o.groupHash),
    alertKeys.stats(o.prefix),
  ];
  const args = [
    o.now,
    o.throttleMs,
    o.event.id,
    JSON.stringify(o.event),
    o.ttlMs,
    alertKeys.heldPrefix(o.prefix, o.rule, o.groupHash),
  ];
  const [replay, decision, first] = (await DECIDE.run(redis, keys, args)) as [
    number,
    string,
    number,
  ];
  const [action, start, end] = decision.split('|');
  return {
    action: action === 'held' ? 'held' : 'send',
    replay: replay === 1,
    firstHeld: first === 1,
    windowStart: Number(start),
    windowEnd: Number(end),
  };
}

/** The id of the digest of one window of one group: also its BullMQ job id. */
export function digestId(rule: string, groupHash: string, windowStart: number): string {
  return `digest.${rule}.${groupHash}.${windowStart}`;
}

export interface TakeDigestOptions {
  prefix: string;
  rule: string;
  groupHash: string;
  windowStart: number;
  ttlMs: number;
}

/** Closes the window and returns its held events (the same ones again when replayed), oldest first. */
export async function takeDigest(redis: Redis, o: TakeDigestOptions): Promise<EventSummary[]> {
  const id = digestId(o.rule, o.groupHash, o.windowStart);
  const keys = [
    alertKeys.window(o.prefix, o.rule, o.groupHash),
    `${alertKeys.heldPrefix(o.prefix, o.rule, o.groupHash)}${o.windowStart}`,
    alertKeys.digest(o.prefix, id),
    alertKeys.stats(o.prefix),
  ];
  const values = (await TAKE.run(redis, keys, [o.windowStart, o.ttlMs])) as string[];
  const events = values.map((v) => JSON.parse(v) as EventSummary);
  return events.sort(
    (a, b) => a.detectedAt.localeCompare(b.detectedAt) || a.id.localeCompare(b.id),
  );
}
