/**
 * One outgoing HTTP request with one deadline and a bounded answer, for the
 * Slack and webhook channels.
 *
 *   timer starts ──fetch: connect, send, headers──▶ read ≤ 64 KiB of body ──▶ cancel the rest ──▶ timer cleared
 *        └──────────── one AbortController: the deadline covers all of it ────────────┘
 *
 * Why not `fetch(url, { signal: AbortSignal.timeout(ms) })` and `text()`: a
 * receiver that answers 200 and then drips a body of gigabytes kept a
 * delivery busy for minutes and the process's memory growing, since the
 * inline signal did not bound the body read and `text()` reads everything.
 */
import { oneLine } from '@runwarden/core';

/** The most of an answer's body that is read; the rest is cancelled. */
export const MAX_ANSWER_BYTES = 64 * 1024;

export interface BoundedFetchOptions {
  /** Deadline for connect, headers and body together. */
  timeoutMs: number;
  /** @defaultValue MAX_ANSWER_BYTES */
  maxBytes?: number;
}

export interface BoundedAnswer {
  status: number;
  ok: boolean;
  headers: Headers;
  /** At most `maxBytes` of the body, decoded as UTF-8. */
  body: string;
  /** True when the body was longer and the rest was cancelled. */
  truncated: boolean;
}

export type HttpFailureKind = 'timeout' | 'network' | 'redirect' | 'request';

/**
 * Why no answer was had. `reason` is short, single-line and names the real
 * cause (`ECONNREFUSED 127.0.0.1:9`, `redirect to another host refused`); it
 * never holds the URL's path or query, where webhook secrets live.
 */
export class HttpFailure extends Error {
  override name = 'HttpFailure';
  readonly kind: HttpFailureKind;
  readonly reason: string;

  constructor(kind: HttpFailureKind, reason: string) {
    super(reason);
    this.kind = kind;
    this.reason = reason;
  }
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * POSTs (or whatever `init.method` says) and returns the status, headers and
 * at most `maxBytes` of the body, all within `timeoutMs`. Redirects are
 * refused (never followed), so a body with secrets is only sent to the URL
 * that was configured. Throws {@link HttpFailure}.
 */
export async function boundedFetch(
  url: string,
  init: Omit<RequestInit, 'signal' | 'redirect'>,
  options: BoundedFetchOptions,
): Promise<BoundedAnswer> {
  const maxBytes = options.maxBytes ?? MAX_ANSWER_BYTES;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const failure = new HttpFailure(
        'timeout',
        `no complete answer within ${options.timeoutMs} ms`,
      );
      controller.abort(failure);
      reject(failure);
    }, options.timeoutMs);
  });
  // Whoever loses the race must not become an unhandled rejection.
  deadline.catch(() => undefined);
  try {
    const response = await Promise.race([
      fetch(url, { ...init, redirect: 'manual', signal: controller.signal }).catch(
        (err: unknown) => {
          throw toHttpFailure(err, controller.signal);
        },
      ),
      deadline,
    ]);
    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      controller.abort();
      throw redirectFailure(url, response);
    }
    const { text, truncated } = await Promise.race([
      readAtMost(response, maxBytes, controller),
      deadline,
    ]);
    return {
      status: response.status,
      ok: response.ok,
      headers: response.headers,
      body: text,
      truncated,
    };
  } catch (err) {
    throw toHttpFailure(err, controller.signal);
  } finally {
    clearTimeout(timer);
    // Ends the connection of an answer that was cut short or abandoned; a no-op after a full read.
    controller.abort();
  }
}

/** The answer as a fetch `Response` (bounded body), for libraries that take a fetch function. */
export function toResponse(answer: BoundedAnswer): Response {
  return new Response(NULL_BODY_STATUSES.has(answer.status) ? null : answer.body, {
    status: answer.status,
    headers: answer.headers,
  });
}

async function readAtMost(
  response: Response,
  maxBytes: number,
  controller: AbortController,
): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text: decode(chunks, size), truncated: false };
      const room = maxBytes - size;
      if (value.byteLength > room) {
        chunks.push(value.subarray(0, room));
        size += room;
        controller.abort();
        await reader.cancel().catch(() => undefined);
        return { text: decode(chunks, size), truncated: true };
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.releaseLock();
  }
}

function decode(chunks: Uint8Array[], size: number): string {
  return Buffer.concat(chunks, size).toString('utf8');
}

function redirectFailure(from: string, response: Response): HttpFailure {
  let target: URL | undefined;
  try {
    target = new URL(response.headers.get('location') ?? '', from);
  } catch {
    target = undefined;
  }
  const sameOrigin = target?.origin === new URL(from).origin;
  return new HttpFailure(
    'redirect',
    sameOrigin
      ? `redirect refused (HTTP ${response.status} to another path on the same host); configure the URL it points to`
      : `redirect to another host refused (HTTP ${response.status} to ${target ? oneLine(target.host, 100) : 'an unreadable location'})`,
  );
}

interface NetworkCause {
  code?: string;
  address?: string;
  port?: number;
  hostname?: string;
  message?: string;
  errors?: NetworkCause[];
  cause?: NetworkCause;
}

/** fetch's `TypeError: fetch failed` hides the cause two levels down; bring it up. */
export function toHttpFailure(err: unknown, signal?: AbortSignal): HttpFailure {
  if (err instanceof HttpFailure) return err;
  if (signal?.aborted && signal.reason instanceof HttpFailure) return signal.reason;
  const cause = (err as { cause?: NetworkCause }).cause;
  if (cause) return new HttpFailure('network', describeCause(cause));
  // fetch throws a TypeError without cause for a request it refuses to send (an invalid header value):
  // retrying the same request cannot help.
  return new HttpFailure('request', oneLine((err as Error).message ?? String(err), 200));
}

function describeCause(cause: NetworkCause): string {
  const inner = cause.errors?.[0] ?? cause.cause;
  const own =
    cause.code && cause.address
      ? `${cause.code} ${cause.address}${cause.port !== undefined ? `:${cause.port}` : ''}`
      : undefined;
  if (own) return own;
  if (cause.code && cause.hostname) return `${cause.code} ${oneLine(cause.hostname, 100)}`;
  if (inner && (inner.code || inner.message)) return describeCause(inner);
  return oneLine(cause.code ?? cause.message ?? 'network error', 200);
}
