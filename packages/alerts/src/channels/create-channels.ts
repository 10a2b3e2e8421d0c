/**
 * Builds the channels of alerts.yaml. A channel whose required settings are
 * empty is built disabled, with a reason naming the setting and the
 * environment variable to set; {@link logChannelStatus} says so once at start.
 */
import { isHttpUrl, redactUrl, type AlertsConfig, type Logger } from '@runwarden/core';
import { ChannelError, type Channel } from './channel.js';
import { createConsoleChannel } from './console.js';
import { createEmailChannel } from './email.js';
import { createSlackChannel } from './slack.js';
import { createWebhookChannel } from './webhook.js';

export interface CreateChannelsOptions {
  /** Where the console channel writes. @defaultValue process.stdout */
  consoleOut?: NodeJS.WritableStream;
  clock?: () => number;
  /** `paths.reports`: where email finds the HTML report it attaches (`channels.email.report: attach`). */
  reportsDir?: string;
}

export interface ChannelDescription {
  name: string;
  enabled: boolean;
  /** Why it is disabled, or where it sends (secrets redacted). */
  detail: string;
}

function disabledChannel(name: string, reason: string): Channel {
  return {
    name,
    enabled: false,
    disabledReason: reason,
    timeoutMs: 0,
    send: () => Promise.reject(new ChannelError(name, 'permanent', `disabled: ${reason}`)),
  };
}

function missing(pairs: [value: string | undefined, setting: string][]): string | undefined {
  const absent = pairs.filter(([value]) => !value).map(([, setting]) => setting);
  return absent.length > 0 ? `set ${absent.join(', ')}` : undefined;
}

function buildSlack(config: AlertsConfig['channels']['slack']): Channel {
  const url = config?.webhookUrl ?? '';
  if (!url) return disabledChannel('slack', 'set SLACK_WEBHOOK_URL (channels.slack.webhookUrl)');
  if (!isHttpUrl(url))
    return disabledChannel(
      'slack',
      'channels.slack.webhookUrl (SLACK_WEBHOOK_URL) is not an http(s) URL',
    );
  return createSlackChannel({
    webhookUrl: url,
    ratePerSecond: config?.ratePerSecond ?? 1,
    timeoutMs: config?.timeout ?? 10_000,
  });
}

function buildEmail(config: AlertsConfig['channels']['email'], reportsDir?: string): Channel {
  const why = missing([
    [config?.host, 'SMTP_HOST (channels.email.host)'],
    [config?.from, 'ALERT_EMAIL_FROM (channels.email.from)'],
    [config?.to, 'ALERT_EMAIL_TO (channels.email.to)'],
  ]);
  if (why || !config) return disabledChannel('email', why ?? 'add channels.email to alerts.yaml');
  if (config.user && !config.pass)
    return disabledChannel(
      'email',
      'set SMTP_PASS (channels.email.pass): SMTP_USER is set without a password',
    );
  const { report, boardUrl, timeout, ...smtp } = config;
  return createEmailChannel({
    ...smtp,
    timeoutMs: timeout,
    report: {
      mode: report,
      ...(boardUrl ? { boardUrl } : {}),
      ...(reportsDir ? { reportsDir } : {}),
    },
  });
}

function buildWebhook(config: AlertsConfig['channels']['webhook']): Channel {
  const url = config?.url ?? '';
  if (!url) return disabledChannel('webhook', 'set ALERT_WEBHOOK_URL (channels.webhook.url)');
  if (!isHttpUrl(url))
    return disabledChannel(
      'webhook',
      'channels.webhook.url (ALERT_WEBHOOK_URL) is not an http(s) URL',
    );
  return createWebhookChannel({
    url,
    headers: config?.headers ?? {},
    timeoutMs: config?.timeout ?? 10_000,
  });
}

/** One channel per known name, enabled or not, in a stable order. */
export function createChannels(
  alerts: AlertsConfig,
  options: CreateChannelsOptions = {},
): Channel[] {
  const { console: consoleConfig, slack, email, webhook } = alerts.channels;
  return [
    consoleConfig
      ? createConsoleChannel({
          color: consoleConfig.color,
          ...(options.consoleOut ? { out: options.consoleOut } : {}),
          ...(options.clock ? { clock: options.clock } : {}),
        })
      : disabledChannel('console', 'add `console: {}` under channels in alerts.yaml'),
    buildSlack(slack),
    buildEmail(email, options.reportsDir),
    buildWebhook(webhook),
  ];
}

/** Which channels are enabled and why the others are not; nothing secret. */
export function describeChannels(alerts: AlertsConfig): ChannelDescription[] {
  const where: Record<string, string> = {
    console: 'writes to standard output',
    slack: `posts to ${redactUrl(alerts.channels.slack?.webhookUrl ?? '')}`,
    email: `mails ${alerts.channels.email?.to ?? ''} through ${alerts.channels.email?.host ?? ''}:${alerts.channels.email?.port ?? ''}; run reports: ${emailReportDetail(alerts.channels.email)}`,
    webhook: `posts JSON to ${redactUrl(alerts.channels.webhook?.url ?? '')}`,
  };
  return createChannels(alerts, { consoleOut: nullStream }).map((c) => ({
    name: c.name,
    enabled: c.enabled,
    detail: c.enabled
      ? (where[c.name] ?? 'enabled')
      : `disabled: ${c.disabledReason ?? 'not configured'}`,
  }));
}

function emailReportDetail(email: AlertsConfig['channels']['email']): string {
  if (!email || email.report === 'none') return 'none';
  // For people: the run page's address (email-report.ts's runPageUrl) with a placeholder.
  const link = email.boardUrl
    ? `linked to ${email.boardUrl.replace(/\/?$/, '/')}runs/<run_id>`
    : '';
  return email.report === 'link' ? link : `attached when written${link ? `, ${link}` : ''}`;
}

const nullStream = { write: () => true, once: () => undefined } as unknown as NodeJS.WritableStream;

/**
 * One line per channel at start: enabled ones at info; disabled ones that a
 * rule routes to at warn, saying what to set; disabled ones no rule uses at
 * debug, since nothing is lost by them.
 */
export function logChannelStatus(
  channels: readonly Channel[],
  logger: Logger,
  rules: AlertsConfig['rules'] = [],
): void {
  const used = new Set(rules.flatMap((r) => r.channels));
  for (const c of channels) {
    if (c.enabled) logger.info({ channel: c.name }, `Alert channel ${c.name} is enabled`);
    else if (used.has(c.name as never) || rules.length === 0) {
      const users = rules
        .filter((r) => (r.channels as readonly string[]).includes(c.name))
        .map((r) => r.name);
      logger.warn(
        { channel: c.name, reason: c.disabledReason, rules: users },
        `Alert channel ${c.name} is disabled: ${c.disabledReason}; alerts routed to it${users.length ? ` by ${users.join(', ')}` : ''} are not sent there`,
      );
    } else
      logger.debug(
        { channel: c.name, reason: c.disabledReason },
        `Alert channel ${c.name} is not configured and no rule uses it`,
      );
  }
}
