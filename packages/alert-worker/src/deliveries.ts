/**
 * Fan-out: one `delivery` job per (notification, channel), with a
 * deterministic id, so one failing channel is retried alone and a replayed
 * event adds nothing new.
 */
import type { Channel, Notification } from '@runwarden/alerts';
import { QUEUES, type QueueSet } from '@runwarden/core';
import { deliveryId, type DeliveryJobData } from './job-data.js';

export async function enqueueDeliveries(
  queues: QueueSet,
  notification: Notification,
  channels: readonly Channel[],
): Promise<void> {
  if (channels.length === 0) return;
  const opts = queues.jobOptions(QUEUES.delivery);
  await queues.get(QUEUES.delivery).addBulk(
    channels.map((c) => ({
      name: c.name,
      data: { channel: c.name, notification } satisfies DeliveryJobData,
      opts: { ...opts, jobId: deliveryId(notification, c.name) },
    })),
  );
}

/** The enabled channels among `names`, in the order given. */
export function enabledChannels(
  channels: ReadonlyMap<string, Channel>,
  names: readonly string[],
): Channel[] {
  return names.map((n) => channels.get(n)).filter((c): c is Channel => c?.enabled === true);
}
