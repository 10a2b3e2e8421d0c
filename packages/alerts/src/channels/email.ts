/**
 * Email through SMTP (nodemailer): subject `[CRITICAL] run_failure: run 42
 * failed (4/5 steps)`, a plain-text and an HTML part, a digest as one message.
 */
import nodemailer from 'nodemailer';
import { headline, runList, type Notification } from '../notification.js';
import { ChannelError, scrubSecrets, type Channel } from './channel.js';

export interface EmailChannelOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when offered. @defaultValue false */
  secure?: boolean;
  user?: string;
  pass?: string;
  from: string;
  /** One address or several, comma-separated. */
  to: string;
  /** @defaultValue true */
  rejectUnauthorized?: boolean;
  /** @defaultValue 10000 */
  timeoutMs?: number;
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function emailBody(n: Notification): { subject: string; text: string; html: string } {
  const facts: [string, string][] = [
    ['Rule', n.rule],
    ['Severity', n.severity],
    ['Group', n.groupKey],
    ['Events', String(n.eventCount)],
  ];
  if (n.window) facts.push(['Window', `${n.window.start} – ${n.window.end}`]);
  if (n.eventCount > 1) facts.push(['Runs', runList(n, 50)]);
  const listed = n.events.map((e) => `${e.detectedAt}  ${e.text}`);
  const more = n.eventCount - n.events.length;
  const text = [
    n.title,
    '',
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    ...listed,
    ...(more > 0 ? [`… and ${more} more`] : []),
    '',
  ].join('\n');
  const html = [
    `<h2>${escapeHtml(n.title)}</h2>`,
    `<table>${facts.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`,
    `<ul>${n.events.map((e) => `<li><code>${escapeHtml(e.detectedAt)}</code> ${escapeHtml(e.text)}</li>`).join('')}</ul>`,
    more > 0 ? `<p>… and ${more} more</p>` : '',
  ].join('\n');
  return { subject: headline(n), text, html };
}

export function createEmailChannel(options: EmailChannelOptions): Channel {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const secrets = options.pass ? [options.pass] : [];
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure ?? false,
    ...(options.user ? { auth: { user: options.user, pass: options.pass ?? '' } } : {}),
    tls: { rejectUnauthorized: options.rejectUnauthorized ?? true },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    name: 'email',
    enabled: true,
    timeoutMs: timeoutMs * 3,
    async send(n) {
      const { subject, text, html } = emailBody(n);
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: options.to,
          subject,
          text,
          html,
          headers: { 'X-Runwarden-Notification': n.id },
        });
        return `SMTP server accepted the message for ${options.to} (${String(info.response ?? 'ok').slice(0, 120)})`;
      } catch (err) {
        const e = err as { responseCode?: number; code?: string; message?: string };
        // 5xx is the server saying "never": retrying the same message cannot help; the dead letter can be retried after a fix.
        const kind =
          e.responseCode !== undefined && e.responseCode >= 500 ? 'permanent' : 'transient';
        const what = e.responseCode
          ? `SMTP server refused with ${e.responseCode}`
          : `SMTP error ${e.code ?? ''}`.trim();
        throw new ChannelError(
          'email',
          kind,
          scrubSecrets(
            `${what}: ${e.message ?? String(err)}; check SMTP_HOST/SMTP_PORT/SMTP_USER/SMTP_PASS`,
            secrets,
          ),
          {
            ...(e.responseCode !== undefined ? { status: e.responseCode } : {}),
          },
        );
      }
    },
    async close() {
      transport.close();
    },
  };
}
