/**
 * Email through SMTP (nodemailer): subject `[CRITICAL] run_failure: run 42
 * failed (4/5 steps)`, a plain-text and an HTML part, a digest as one message.
 */
import { oneLine, escapeHtml } from '@runwarden/core';
import nodemailer from 'nodemailer';
import { headline, runList, type Notification } from '../notification.js';
import { ChannelError, idempotencyKey, scrubSecrets, type Channel } from './channel.js';
import {
  emailReportParts,
  type EmailReportOptions,
  type EmailReportParts,
} from './email-report.js';

export interface EmailChannelOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when offered. @defaultValue false */
  secure?: boolean;
  /**
   * Refuse to go on without STARTTLS, so credentials never cross the network
   * in clear. @defaultValue true when `user` is set and `secure` is not
   */
  requireTLS?: boolean;
  user?: string;
  pass?: string;
  from: string;
  /** One address or several, comma-separated. */
  to: string;
  /** @defaultValue true */
  rejectUnauthorized?: boolean;
  /** @defaultValue 10000 */
  timeoutMs?: number;
  /** The run's HTML report: attached, linked on the board, or left out (email-report.ts). */
  report?: EmailReportOptions;
}

export function emailBody(
  n: Notification,
  report: Pick<EmailReportParts, 'lines' | 'items'> = { lines: [], items: [] },
): { subject: string; text: string; html: string } {
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
    ...(report.lines.length ? ['', ...report.lines] : []),
    '',
  ].join('\n');
  const html = [
    `<h2>${escapeHtml(n.title)}</h2>`,
    `<table>${facts.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`,
    `<ul>${n.events.map((e) => `<li><code>${escapeHtml(e.detectedAt)}</code> ${escapeHtml(e.text)}</li>`).join('')}</ul>`,
    more > 0 ? `<p>… and ${more} more</p>` : '',
    report.items.length ? `<h3>Reports</h3><ul>${report.items.join('')}</ul>` : '',
  ].join('\n');
  return { subject: headline(n), text, html };
}

/** The server offers no STARTTLS (or its TLS failed): nothing was sent, least of all the password. */
function noTlsError(where: string, detail: string): ChannelError {
  return new ChannelError(
    'email',
    'permanent',
    `the SMTP server ${where} offers no working STARTTLS (${oneLine(detail, 160)}), so runwarden did not log in: it would send the password in clear. Use the server's TLS port with channels.email.secure: true (usually 465), fix its STARTTLS, or set channels.email.requireTLS: false to allow a plain-text login`,
  );
}

export function createEmailChannel(options: EmailChannelOptions): Channel {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const secrets = options.pass ? [options.pass] : [];
  const secure = options.secure ?? false;
  const requireTLS = options.requireTLS ?? (Boolean(options.user) && !secure);
  const where = `${options.host}:${options.port}`;
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure,
    requireTLS,
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
      const report = await emailReportParts(n, options.report ?? {});
      const { subject, text, html } = emailBody(n, report);
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: options.to,
          subject,
          text,
          html,
          ...(report.attachments.length ? { attachments: report.attachments } : {}),
          headers: { 'X-Runwarden-Notification': idempotencyKey(n.id) },
        });
        return `SMTP server accepted the message for ${options.to} (${oneLine(String(info.response ?? 'ok'), 120)})`;
      } catch (err) {
        const e = err as { responseCode?: number; code?: string; message?: string };
        if (requireTLS && e.code === 'ETLS') throw noTlsError(where, e.message ?? String(err));
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
            `${what}: ${oneLine(e.message ?? String(err), 200)}; check SMTP_HOST/SMTP_PORT/SMTP_USER/SMTP_PASS`,
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
