/**
 * Slack through an incoming webhook (`@slack/webhook`): Block Kit, with the
 * headline as the plain-text fallback for notifications and old clients.
 * Text from the pipeline (run ids, step errors) is escaped, so it can neither
 * mention `<!channel>` nor forge links.
 */
import {
  IncomingWebhook,
  IncomingWebhookHTTPError,
  IncomingWebhookRequestError,
  type FetchFunction,
  type IncomingWebhookSendArguments,
} from '@slack/webhook';
import { oneLine } from '@runwarden/core';
import { headline, runList, type Notification } from '../notification.js';
import { boundedFetch, toHttpFailure, toResponse, type BoundedAnswer } from './bounded-fetch.js';
import {
  ChannelError,
  kindForStatus,
  parseRetryAfter,
  scrubSecrets,
  type Channel,
} from './channel.js';

type FetchResponse = Awaited<ReturnType<FetchFunction>>;

export interface SlackChannelOptions {
  webhookUrl: string;
  /** @defaultValue 1 — Slack's incoming webhooks allow about one message a second. */
  ratePerSecond?: number;
  /** @defaultValue 10000 */
  timeoutMs?: number;
}

/** Slack's mrkdwn control characters; everything else is shown as written. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const EMOJI: Record<string, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':large_blue_circle:',
};

export function slackMessage(n: Notification): IncomingWebhookSendArguments & { text: string } {
  const icon = n.status === 'resolved' ? ':white_check_mark:' : (EMOJI[n.severity] ?? '');
  const lines =
    n.eventCount > 1
      ? [
          ...n.events.slice(0, 10).map((e) => `• ${escapeSlack(e.text)}`),
          `runs: ${escapeSlack(runList(n))}`,
        ]
      : [];
  const body = [`${icon} *${escapeSlack(n.title)}*`, ...lines].join('\n');
  const context = [
    `rule *${escapeSlack(n.rule)}*`,
    `severity *${n.severity}*`,
    escapeSlack(n.groupKey),
    n.kind === 'alert' ? '' : n.kind.replace('_', ' '),
  ]
    .filter(Boolean)
    .join(' · ');
  return {
    text: escapeSlack(headline(n)),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: body.slice(0, 2_900) } } as const,
      {
        type: 'context',
        elements: [{ type: 'mrkdwn' as const, text: context.slice(0, 2_900) }],
      } as const,
    ],
  };
}

export function createSlackChannel(options: SlackChannelOptions): Channel {
  const url = options.webhookUrl;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fail = (
    kind: ChannelError['kind'],
    message: string,
    extra: { retryAfterMs?: number; status?: number } = {},
  ) => new ChannelError('slack', kind, scrubSecrets(message, [url]), extra);
  return {
    name: 'slack',
    enabled: true,
    timeoutMs,
    minIntervalMs: Math.ceil(1_000 / (options.ratePerSecond ?? 1)),
    async send(n) {
      // @slack/webhook's HTTP error drops the headers; keep the answer to read Retry-After. Its
      // fetch goes through boundedFetch: one deadline for the whole exchange, at most 64 KiB read.
      let last: BoundedAnswer | undefined;
      const fetchBounded: FetchFunction = async (input, init) => {
        const { signal: _ignored, redirect: _refused, ...rest } = (init ?? {}) as RequestInit;
        last = await boundedFetch(String(input), rest, { timeoutMs });
        return toResponse(last) as FetchResponse;
      };
      const webhook = new IncomingWebhook(url, { fetch: fetchBounded });
      try {
        await webhook.send(slackMessage(n));
        return `Slack accepted the message (HTTP ${last?.status ?? 200})`;
      } catch (err) {
        if (err instanceof IncomingWebhookHTTPError) {
          const status = err.statusCode;
          const retryAfterMs =
            status === 429 ? parseRetryAfter(last?.headers.get('retry-after')) : undefined;
          const body = typeof err.body === 'string' ? oneLine(err.body, 200) : '';
          throw fail(
            kindForStatus(status),
            `Slack answered HTTP ${status}${body ? `: ${body}` : ''}`,
            {
              status,
              ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
            },
          );
        }
        const original = err instanceof IncomingWebhookRequestError ? err.original : err;
        const failure = toHttpFailure(original);
        throw fail(
          failure.kind === 'redirect' || failure.kind === 'request' ? 'permanent' : 'transient',
          `could not reach Slack (${failure.reason}); check the network or SLACK_WEBHOOK_URL`,
        );
      }
    },
  };
}
