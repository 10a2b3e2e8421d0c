/**
 * The generic webhook: one JSON POST per notification, payload documented in
 * packages/alerts/README.md ("Webhook payload"). `Idempotency-Key` carries the
 * notification id (ASCII-encoded, {@link idempotencyKey}) so a receiver can
 * drop the rare duplicate.
 */
import { oneLine } from '@runwarden/core';
import type { Notification } from '../notification.js';
import { boundedFetch, toHttpFailure, type BoundedAnswer } from './bounded-fetch.js';
import {
  ChannelError,
  kindForStatus,
  parseRetryAfter,
  scrubSecrets,
  type Channel,
} from './channel.js';

export interface WebhookChannelOptions {
  url: string;
  /** Extra headers, e.g. `Authorization`; their values are treated as secrets. */
  headers?: Record<string, string>;
  /** @defaultValue 10000 */
  timeoutMs?: number;
}

export const WEBHOOK_PAYLOAD_VERSION = '1';

export interface WebhookPayload {
  version: typeof WEBHOOK_PAYLOAD_VERSION;
  status: 'firing' | 'resolved';
  kind: Notification['kind'];
  notificationId: string;
  groupKey: string;
  dedupKey: string;
  rule: string;
  severity: string;
  title: string;
  eventCount: number;
  eventIds: string[];
  events: Notification['events'];
  window: Notification['window'] | null;
  createdAt: string;
}

export function webhookPayload(n: Notification): WebhookPayload {
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    status: n.status,
    kind: n.kind,
    notificationId: n.id,
    groupKey: n.groupKey,
    dedupKey: n.dedupKey,
    rule: n.rule,
    severity: n.severity,
    title: n.title,
    eventCount: n.eventCount,
    eventIds: n.eventIds,
    events: n.events,
    window: n.window ?? null,
    createdAt: n.createdAt,
  };
}

/**
 * The `Idempotency-Key` header for a notification id: the id itself when it
 * is printable ASCII; otherwise `%`, spaces, control characters and every
 * non-ASCII byte (UTF-8) percent-encoded, so that a header is always valid
 * and `decodeURIComponent(key)` gives the id back. Run ids are the
 * pipeline's text, and a raw `漢` or `\n` in a header fails every attempt.
 */
export function idempotencyKey(notificationId: string): string {
  return notificationId.replace(/[^\x21-\x24\x26-\x7e]+/g, (run) =>
    // Buffer rather than encodeURIComponent, which throws on a lone surrogate.
    [...Buffer.from(run, 'utf8')]
      .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}

export function createWebhookChannel(options: WebhookChannelOptions): Channel {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const secrets = [options.url, ...Object.values(options.headers ?? {})];
  const fail = (
    kind: ChannelError['kind'],
    message: string,
    extra: { retryAfterMs?: number; status?: number } = {},
  ) => new ChannelError('webhook', kind, scrubSecrets(message, secrets), extra);
  return {
    name: 'webhook',
    enabled: true,
    timeoutMs,
    async send(n) {
      let answer: BoundedAnswer;
      try {
        answer = await boundedFetch(
          options.url,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'idempotency-key': idempotencyKey(n.id),
              'user-agent': 'runwarden',
              ...options.headers,
            },
            body: JSON.stringify(webhookPayload(n)),
          },
          { timeoutMs },
        );
      } catch (err) {
        const failure = toHttpFailure(err);
        throw fail(
          failure.kind === 'redirect' || failure.kind === 'request' ? 'permanent' : 'transient',
          `could not deliver to the webhook (${failure.reason}); check ALERT_WEBHOOK_URL and the receiver`,
        );
      }
      if (answer.ok) return `webhook accepted the notification (HTTP ${answer.status})`;
      const status = answer.status;
      const body = oneLine(answer.body, 200);
      const retryAfterMs =
        status === 429 ? parseRetryAfter(answer.headers.get('retry-after')) : undefined;
      throw fail(
        kindForStatus(status),
        `webhook answered HTTP ${status}${body ? `: ${body}` : ''}`,
        { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
      );
    },
  };
}
