/**
 * Stand-ins for the alert receivers, on 127.0.0.1 only: an HTTP server for
 * Slack and webhooks, whose answer a test scripts per request, and an SMTP
 * server that refuses the first recipients before it accepts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { TestContext } from '@runwarden/testing';
import type { ReceivedMessage } from './fault-audit.js';

export interface HttpRequestSeen {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The status answered, or `hang` when the stand-in never answered. */
  answer: number | 'hang';
}

export type HttpAnswer = { status: number; headers?: Record<string, string> } | 'hang';

export interface HttpStandIn {
  url: string;
  requests: HttpRequestSeen[];
  /** Decides the answer to each request; the default answers 200. */
  answer: (request: Omit<HttpRequestSeen, 'answer'>, index: number) => HttpAnswer;
  /** Requests the receiver got and kept (2xx, or hung: the sender cannot know it arrived). */
  delivered(): HttpRequestSeen[];
}

export async function startHttpStandIn(ctx: TestContext): Promise<HttpStandIn> {
  const requests: HttpRequestSeen[] = [];
  const hung = new Set<http.ServerResponse>();
  const standIn: HttpStandIn = {
    url: '',
    requests,
    answer: () => ({ status: 200 }),
    delivered: () =>
      requests.filter((r) => r.answer === 'hang' || (r.answer >= 200 && r.answer < 300)),
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const seen = { path: req.url ?? '/', headers: req.headers, body };
      const answer = standIn.answer(seen, requests.length);
      requests.push({ ...seen, answer: answer === 'hang' ? 'hang' : answer.status });
      if (answer === 'hang') {
        hung.add(res);
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.status < 300 ? 'ok' : `status ${answer.status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ctx.defer(
    () =>
      new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return standIn;
}

/** Webhook requests as the audit counts them: by notification id (Idempotency-Key). */
export function webhookMessages(standIn: HttpStandIn): ReceivedMessage[] {
  return standIn
    .delivered()
    .map((r) => ({ notificationId: String(r.headers['idempotency-key']), text: r.body }));
}

/** Slack messages as the audit counts them: by their plain-text headline. */
export function slackMessages(standIn: HttpStandIn): ReceivedMessage[] {
  return standIn.delivered().map((r) => {
    const payload = JSON.parse(r.body) as { text: string; blocks?: { text?: { text?: string } }[] };
    return { text: `${payload.text}\n${payload.blocks?.[0]?.text?.text ?? ''}` };
  });
}

export interface SmtpStandIn {
  port: number;
  /** Every message accepted, with its X-Runwarden-Notification header. */
  accepted: { notificationId: string; raw: string }[];
  refused: number;
  messages(): ReceivedMessage[];
}

/** An SMTP server that answers the first `refusals` RCPT TO with 451 (try later), then accepts. */
export async function startSmtpStandIn(ctx: TestContext, refusals: number): Promise<SmtpStandIn> {
  const standIn: SmtpStandIn = {
    port: 0,
    accepted: [],
    refused: 0,
    messages: () =>
      standIn.accepted.map((m) => ({ notificationId: m.notificationId, text: m.raw })),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, cb) {
      if (standIn.refused < refusals) {
        standIn.refused += 1;
        return cb(Object.assign(new Error('mailbox busy, try again later'), { responseCode: 451 }));
      }
      cb();
    },
    onData(stream, _session, cb) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        const id = /^X-Runwarden-Notification:\s*(.+)$/im.exec(raw)?.[1]?.trim() ?? '';
        standIn.accepted.push({ notificationId: id, raw });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  standIn.port = (server.server.address() as AddressInfo).port;
  ctx.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return standIn;
}
