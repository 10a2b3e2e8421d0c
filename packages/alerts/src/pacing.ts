/**
 * Per-channel pacing shared by every worker: Slack's incoming webhooks allow
 * about one message a second. Each send reserves the next free slot; a worker
 * waits for a near slot and hands a far one back to the queue (delayed job),
 * so it never holds a concurrency slot for long. A 429's Retry-After pushes
 * the next slot out for everyone. Real time, not the injected clock: the
 * limit protects a real server.
 */
import { LuaScript } from '@runwarden/core';
import type { Redis } from 'ioredis';
import { alertKeys } from './keys.js';

const RESERVE = new LuaScript(`
local now, interval, maxWait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
if slot - now > maxWait then return -(slot - now) end
redis.call('SET', KEYS[1], slot + interval, 'PX', interval + 60000)
return slot - now
`);

const PUSH = new LuaScript(`
local until_ = tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > slot then redis.call('SET', KEYS[1], until_, 'PX', until_ - tonumber(ARGV[2]) + 60000) end
return 1
`);

/**
 * Reserves a send slot. Returns how long to wait (≥ 0, reserved), or a
 * negative number whose size is how far off the next slot is (not reserved:
 * delay the job instead).
 */
export async function reserveSlot(
  redis: Redis,
  prefix: string,
  channel: string,
  intervalMs: number,
  maxWaitMs: number,
  now = Date.now(),
): Promise<number> {
  return Number(
    await RESERVE.run(redis, [alertKeys.pace(prefix, channel)], [now, intervalMs, maxWaitMs]),
  );
}

/** No message to `channel` before `until` (epoch ms), e.g. after HTTP 429 with Retry-After. */
export async function holdChannelUntil(
  redis: Redis,
  prefix: string,
  channel: string,
  until: number,
  now = Date.now(),
): Promise<void> {
  await PUSH.run(redis, [alertKeys.pace(prefix, channel)], [until, now]);
}
