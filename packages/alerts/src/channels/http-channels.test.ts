import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { testNotification } from '../build-notification.js';
import type { Notification } from '../notification.js';
import { freePort } from '@runwarden/testing';
import { MAX_ANSWER_BYTES } from './bounded-fetch.js';
import { ChannelError, idempotencyKey } from './channel.js';
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
    expect(errors[3]!.message).toContain('no complete answer within 300 ms');
    for (const e of errors) expect(e.message).not.toContain('abc123secret');
  });
});

/**
 * A hostile receiver: answers 200 (or `status`), then either streams `chunk`
 * as fast as the client takes it ('flood') or one byte per 50 ms ('drip').
 * Counts the bytes it got out before the client hung up.
 */
async function startHostileReceiver(mode: 'flood' | 'drip' | 'headers-then-sleep', status = 200) {
  const sent = { bytes: 0, closed: 0 };
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const timers: NodeJS.Timeout[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.on('close', () => (sent.closed += 1));
    if (mode === 'headers-then-sleep') return void res.flushHeaders();
    if (mode === 'drip') {
      const timer = setInterval(() => res.write('x'), 50);
      timers.push(timer);
      res.on('close', () => clearInterval(timer));
      return;
    }
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) sent.bytes += chunk.length;
      if (!res.destroyed) {
        sent.bytes += chunk.length;
        res.once('drain', pump);
      }
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    sent,
    url: `http://127.0.0.1:${port}/hook?token=abc123secret`,
    close: () => {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const channelsFor = (url: string, timeoutMs: number) => [
  createWebhookChannel({ url, timeoutMs }),
  createSlackChannel({ webhookUrl: url, timeoutMs }),
];

describe('hostile HTTP receivers', () => {
  it('reads at most 64 KiB of an endless 200 answer, then hangs up', async () => {
    for (const channel of channelsFor('', 0)) {
      const server = await startHostileReceiver('flood');
      cleanup.push(server.close);
      const [bounded] = channelsFor(server.url, 30_000).filter((c) => c.name === channel.name);
      expect(await bounded!.send(hostile())).toMatch(
        /accepted the (notification|message) \(HTTP 200\)/,
      );
      await expect.poll(() => server.sent.closed).toBe(1);
      // What the kernel's socket buffers held besides the 64 KiB read: far from an endless body.
      expect(server.sent.bytes).toBeGreaterThan(MAX_ANSWER_BYTES);
      expect(server.sent.bytes).toBeLessThan(64 * 1024 * 1024);
    }
  });

  it.each(['drip', 'headers-then-sleep'] as const)(
    'gives up on a %s answer at the one deadline, as a transient failure',
    async (mode) => {
      const server = await startHostileReceiver(mode);
      cleanup.push(server.close);
      for (const channel of channelsFor(server.url, 400)) {
        const err = await rejection(channel.send(hostile()));
        expect(err.kind).toBe('transient');
        expect(err.message).toContain('no complete answer within 400 ms');
        expect(err.message).not.toContain('abc123secret');
      }
      await expect.poll(() => server.sent.closed).toBe(2);
    },
  );

  it('keeps the real cause of a refused connection', async () => {
    const port = await freePort();
    for (const channel of channelsFor(`http://127.0.0.1:${port}/hook`, 2_000)) {
      const err = await rejection(channel.send(hostile()));
      expect(err.kind).toBe('transient');
      expect(err.message).toContain(`(ECONNREFUSED 127.0.0.1:${port})`);
    }
  });

  it('refuses a redirect to another host as permanent, naming only the host', async () => {
    const server = await startRecorder([
      { status: 302, headers: { location: 'http://evil.example/steal?token=zzz' } },
      { status: 307, headers: { location: 'http://evil.example/steal?token=zzz' } },
      { status: 301, headers: { location: '/other-path' } },
    ]);
    cleanup.push(server.close);
    const [webhook, slack] = channelsFor(server.url('/hook?token=abc123secret'), 2_000);
    const first = await rejection(webhook!.send(hostile()));
    expect(first.kind).toBe('permanent');
    expect(first.message).toContain('redirect to another host refused (HTTP 302 to evil.example)');
    const second = await rejection(slack!.send(hostile()));
    expect(second.message).toContain('redirect to another host refused (HTTP 307 to evil.example)');
    const third = await rejection(webhook!.send(hostile()));
    expect(third.message).toContain('redirect refused (HTTP 301 to another path on the same host)');
    for (const e of [first, second, third]) {
      expect(e.message).not.toContain('abc123secret');
      expect(e.message).not.toContain('zzz');
    }
    expect(server.requests).toHaveLength(3);
  });

  it('shows a receiver error body as one trimmed line without control characters', async () => {
    const body = `\n  <html>\r\n<title>\x1b[2J\x1b]0;pwned\x07Oops</title>\n${'y'.repeat(5_000)}`;
    const server = await startRecorder([
      { status: 500, body },
      { status: 500, body },
    ]);
    cleanup.push(server.close);
    for (const channel of channelsFor(server.url('/hook'), 2_000)) {
      const err = await rejection(channel.send(hostile()));
      const shown = err.message.slice(err.message.indexOf('HTTP 500: ') + 'HTTP 500: '.length);
      expect(shown).toMatch(/^<html> <title> \[2J \]0;pwned Oops<\/title> y+…$/);
      expect(shown.length).toBe(201);
    }
  });
});

describe('webhook idempotency key', () => {
  it('is ASCII for any notification id, and decodes back to it', async () => {
    const server = await startRecorder();
    cleanup.push(server.close);
    const hook = createWebhookChannel({ url: server.url('/hook') });
    const ids = [
      '42.completed.run_failure',
      '漢字-🚀.completed.r',
      'ctl\x1b[2J\nx.%3A.r',
      'lone\ud800.r',
    ];
    for (const id of ids) await hook.send({ ...hostile(), id });
    const keys = server.requests.map((r) => r.headers['idempotency-key'] as string);
    expect(keys[0]).toBe('42.completed.run_failure');
    expect(keys[1]).toBe('%E6%BC%A2%E5%AD%97-%F0%9F%9A%80.completed.r');
    expect(keys[2]).toBe('ctl%1B[2J%0Ax.%253A.r');
    for (const key of keys) expect(key).toMatch(/^[\x21-\x7e]+$/);
    for (const [i, id] of ids.slice(0, 3).entries()) {
      expect(decodeURIComponent(keys[i]!)).toBe(id);
      expect(idempotencyKey(id)).toBe(keys[i]);
    }
  });
});
