import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { testNotification } from '../build-notification.js';
import type { Notification } from '../notification.js';
import { ChannelError } from './channel.js';
import { createSlackChannel } from './slack.js';
import { createWebhookChannel } from './webhook.js';

interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** A local HTTP server that records requests and answers from a script (then 200). */
async function startRecorder(script: Answer[] = []) {
  const requests: Recorded[] = [];
  const hung: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const answer = script.shift() ?? { status: 200, body: 'ok' };
      if (answer === 'hang') return void hung.push(res);
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    requests,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const SECRET_PATH = '/services/T000/B000/sekr3tT0ken';
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function hostile(): Notification {
  const n = testNotification(Date.parse('2025-12-05T14:32:17Z'));
  return {
    ...n,
    title: 'run <!channel> & <https://evil|click> failed (4/5 steps)',
    severity: 'critical',
  };
}

async function rejection(p: Promise<unknown>): Promise<ChannelError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelError);
  return err as ChannelError;
}

describe('slack channel', () => {
  it('posts Block Kit with an escaped plain-text fallback', async () => {
    const server = await startRecorder();
    cleanup.push(server.close);
    const slack = createSlackChannel({ webhookUrl: server.url(SECRET_PATH) });
    await slack.send(hostile());
    expect(server.requests).toHaveLength(1);
    const body = JSON.parse(server.requests[0]!.body) as {
      text: string;
      blocks: { type: string; text?: { text: string } }[];
    };
    expect(body.text).toBe(
      '[CRITICAL] test: run &lt;!channel&gt; &amp; &lt;https://evil|click&gt; failed (4/5 steps)',
    );
    expect(body.blocks[0]!.type).toBe('section');
    expect(body.blocks[0]!.text!.text).toContain('&lt;!channel&gt;');
    expect(JSON.stringify(body)).not.toContain('<!channel>');
  });

  it('turns 429 into rate_limited with Retry-After, 500 into transient, 404 into permanent', async () => {
    const server = await startRecorder([
      { status: 429, headers: { 'retry-after': '3' }, body: 'rate_limited' },
      { status: 500, body: 'oops' },
      { status: 404, body: 'no_team' },
    ]);
    cleanup.push(server.close);
    const slack = createSlackChannel({ webhookUrl: server.url(SECRET_PATH) });
    const limited = await rejection(slack.send(hostile()));
    expect(limited.kind).toBe('rate_limited');
    expect(limited.retryAfterMs).toBe(3_000);
    expect((await rejection(slack.send(hostile()))).kind).toBe('transient');
    const gone = await rejection(slack.send(hostile()));
    expect(gone.kind).toBe('permanent');
    expect(gone.message).toContain('HTTP 404');
    for (const e of [limited, gone]) expect(e.message).not.toContain('sekr3tT0ken');
  });

  it('gives up on a server that hangs, without naming the webhook URL', async () => {
    const server = await startRecorder(['hang']);
    cleanup.push(server.close);
    const slack = createSlackChannel({ webhookUrl: server.url(SECRET_PATH), timeoutMs: 300 });
    const err = await rejection(slack.send(hostile()));
    expect(err.kind).toBe('transient');
    expect(err.message).not.toContain('sekr3tT0ken');
  });
});

describe('webhook channel', () => {
  it('posts the documented payload with an idempotency key and custom headers', async () => {
    const server = await startRecorder();
    cleanup.push(server.close);
    const hook = createWebhookChannel({
      url: server.url('/hook?token=abc123secret'),
      headers: { authorization: 'Bearer zzz-secret' },
    });
    const n = hostile();
    await hook.send(n);
    const req = server.requests[0]!;
    expect(req.headers['idempotency-key']).toBe(n.id);
    expect(req.headers.authorization).toBe('Bearer zzz-secret');
    expect(JSON.parse(req.body)).toMatchObject({
      version: '1',
      status: 'firing',
      kind: 'test',
      rule: 'test',
      severity: 'critical',
      dedupKey: n.dedupKey,
      groupKey: n.groupKey,
      eventCount: 1,
      eventIds: n.eventIds,
    });
  });

  it('classifies 429, 503, 400 and a hang, and never shows the URL token', async () => {
    const server = await startRecorder([
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 503 },
      { status: 400, body: 'bad' },
      'hang',
    ]);
    cleanup.push(server.close);
    const hook = createWebhookChannel({
      url: server.url('/hook?token=abc123secret'),
      timeoutMs: 300,
    });
    const errors = [];
    for (let i = 0; i < 4; i += 1) errors.push(await rejection(hook.send(hostile())));
    expect(errors.map((e) => e.kind)).toEqual([
      'rate_limited',
      'transient',
      'permanent',
      'transient',
    ]);
    expect(errors[0]!.retryAfterMs).toBe(1_000);
    expect(errors[3]!.message).toContain('no answer within 300 ms');
    for (const e of errors) expect(e.message).not.toContain('abc123secret');
  });
});
