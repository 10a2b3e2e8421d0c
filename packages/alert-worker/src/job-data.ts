/** What the alert worker's jobs carry, and their deterministic ids. */
import type { Notification } from '@runwarden/alerts';
import type { Severity } from '@runwarden/core';

/** Name of the delayed job on the `alert` queue that flushes one window's digest. */
export const DIGEST_JOB = 'digest';

export interface DigestJobData {
  rule: string;
  severity: Severity;
  groupKey: string;
  groupHash: string;
  windowStart: number;
  windowEnd: number;
  /** The rule's channels when the window opened, so a config change cannot strand a digest. */
  channels: string[];
}

export interface DeliveryJobData {
  channel: string;
  notification: Notification;
}

export function deliveryId(notification: Notification, channel: string): string {
  return `${notification.id}.${channel}`;
}
