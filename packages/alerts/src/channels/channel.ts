/**
 * The small interface every channel implements. The engine owns rules,
 * throttling, dedup and retries; a channel only turns a notification into one
 * message and says, with a {@link ChannelError}, whether trying again can help.
 */
import { RunwardenError } from '@runwarden/core';
import type { Notification } from '../notification.js';

export interface Channel {
  readonly name: string;
  /** False when required settings are missing; {@link disabledReason} says which. */
  readonly enabled: boolean;
  readonly disabledReason?: string;
  /**
   * Minimum time between two messages, shared by every worker (Slack: ~1 s).
   * @defaultValue undefined (no pacing)
   */
  readonly minIntervalMs?: number;
  /** Longest a send may take; the delivery claim's lease is based on it. */
  readonly timeoutMs: number;
  /** Resolves with a short detail for the delivery log, or throws a ChannelError. */
  send(notification: Notification): Promise<string>;
  close?(): Promise<void>;
}

export type ChannelFailureKind = 'rate_limited' | 'transient' | 'permanent';

/** Why a send failed. Its message never holds a secret (URLs and passwords are scrubbed). */
export class ChannelError extends RunwardenError {
  override name = 'ChannelError';
  readonly channel: string;
  readonly kind: ChannelFailureKind;
  /** For `rate_limited`: how long the receiver asked us to wait. */
  readonly retryAfterMs?: number;
  readonly status?: number;

  constructor(
    channel: string,
    kind: ChannelFailureKind,
    message: string,
    extra: { retryAfterMs?: number; status?: number; cause?: unknown } = {},
  ) {
    super(
      'CHANNEL_FAILED',
      `${channel}: ${message}`,
      extra.cause === undefined ? undefined : { cause: extra.cause },
    );
    this.channel = channel;
    this.kind = kind;
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
    if (extra.status !== undefined) this.status = extra.status;
  }
}

/** Replaces every secret (and its URL-encoded form) in a text with `***`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)]))
      out = out.split(form).join('***');
  }
  return out;
}

/** `Retry-After: 3` or an HTTP date → milliseconds; `fallbackMs` when absent or unreadable. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
  fallbackMs = 1_000,
): number {
  if (!value) return fallbackMs;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1_000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : fallbackMs;
}

/** HTTP status → what to do: 429 waits, 408 and 5xx retry, other 4xx cannot succeed by retrying. */
export function kindForStatus(status: number): ChannelFailureKind {
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500) return 'transient';
  return 'permanent';
}

/**
 * The `Idempotency-Key` header (webhook) and `X-Runwarden-Notification` (email) for a notification id: the id itself when it
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
