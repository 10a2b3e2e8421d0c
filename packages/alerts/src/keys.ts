/**
 * Every Redis key the alert engine writes, under the queue prefix, so a test's
 * prefix or a second runwarden on the same Redis never collide. With a hash
 * tag prefix (`{runwarden}`) all of them share one Redis Cluster slot, which
 * the Lua scripts need.
 */
import { alertStatsKey } from '@runwarden/core';

export { alertStatsKey };

export const alertKeys = {
  stats: alertStatsKey,
  /** The decision (send or held) for one event under one rule. */
  decided: (prefix: string, rule: string, eventId: string) =>
    `${prefix}:alerts:decided:${rule}:${eventId}`,
  /** The current throttle window of a group: hash {start, end, flushed}. */
  window: (prefix: string, rule: string, groupHash: string) =>
    `${prefix}:alerts:window:${rule}:${groupHash}`,
  /** Held events of one window (hash eventId → summary); the script appends the window start. */
  heldPrefix: (prefix: string, rule: string, groupHash: string) =>
    `${prefix}:alerts:held:${rule}:${groupHash}:`,
  /** The events a digest took, kept so that a replayed digest job sends the same digest. */
  digest: (prefix: string, digestId: string) => `${prefix}:alerts:digest:${digestId}`,
  /** A delivery's claim, then its "sent" mark. */
  delivery: (prefix: string, deliveryId: string) => `${prefix}:alerts:delivery:${deliveryId}`,
  /** The earliest time the next message may go to a paced channel. */
  pace: (prefix: string, channel: string) => `${prefix}:alerts:pace:${channel}`,
};
