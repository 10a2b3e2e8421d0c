import {
  createRedisConnection,
  createLogger,
  QueueSet,
  QUEUES,
  runwardenConfigSchema,
  RunwardenError,
} from '@runwarden/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '@runwarden/testing';
import { LoginLimiter } from './basic-auth.js';
import { createBoard, isLoopbackHost } from './create-board.js';
import { crossSiteReason } from './http-hardening.js';
import { authHeader, startBoard } from './board.fixture.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('board-hardening');
});
afterEach(() => ctx.cleanup());

async function alertJobCount(): Promise<number> {
  const connection = createRedisConnection(ctx.redisUrl);
  const queues = new QueueSet({
    connection,
    prefix: ctx.prefix,
    config: runwardenConfigSchema.parse({}),
  });
  try {
    return await queues.get(QUEUES.alert).count();
  } finally {
    await queues.close();
    await connection.quit();
  }
}

describe('board security headers', () => {
  it('forbids framing and caching and names no framework, on every kind of page', async () => {
    const { url } = await startBoard(ctx);
    const origin = new URL(url).origin;
    const pages = [
      await fetch(url, { headers: authHeader() }),
      await fetch(`${url}api/queues`, { headers: authHeader() }),
      await fetch(url),
      await fetch(`${origin}/healthz`),
    ];
    expect(pages.map((p) => p.status)).toEqual([200, 200, 401, 200]);
    for (const page of pages) {
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('x-powered-by')).toBeNull();
    }
  });
});

describe('board against cross-site requests', () => {
  it("refuses a logged-in browser's cross-site form POST; its own JSON POST still works", async () => {
    const { url } = await startBoard(ctx, { readOnly: false });
    const add = `${url}api/queues/alert/add`;
    const form = new URLSearchParams({ name: 'run_completed', data: '{"runId":"evil"}' });
    const crossSiteForm = await fetch(add, {
      method: 'POST',
      headers: {
        ...authHeader(),
        origin: 'http://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form,
    });
    expect(crossSiteForm.status).toBe(403);
    expect(await crossSiteForm.text()).toContain('its Origin evil.example is not this board');
    const fetchMetadata = await fetch(add, {
      method: 'POST',
      headers: {
        ...authHeader(),
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'x', data: {} }),
    });
    expect(fetchMetadata.status).toBe(403);
    const formWithoutOrigin = await fetch(add, {
      method: 'POST',
      headers: { ...authHeader(), 'content-type': 'text/plain' },
      body: '{"name":"x","data":{}}',
    });
    expect(formWithoutOrigin.status).toBe(415);
    expect(await alertJobCount()).toBe(0);

    const own = await fetch(add, {
      method: 'POST',
      headers: {
        ...authHeader(),
        origin: new URL(url).origin,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'run_completed', data: { runId: 'r1' } }),
    });
    expect(own.status).toBe(200);
    expect(await alertJobCount()).toBe(1);
  });

  it('answers a malformed JSON body with a short JSON error, no stack trace', async () => {
    const { url } = await startBoard(ctx, { readOnly: false });
    const res = await fetch(`${url}api/queues/alert/add`, {
      method: 'POST',
      headers: { ...authHeader(), 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'The request body is not valid JSON.' });
  });

  it.each([
    [{ 'sec-fetch-site': 'same-origin' }, undefined],
    [{ 'sec-fetch-site': 'none' }, undefined],
    [
      { 'sec-fetch-site': 'same-site', origin: 'http://a.example' },
      'the browser says it comes from a same-site page',
    ],
    [{ origin: 'http://127.0.0.1:3000', host: '127.0.0.1:3000' }, undefined],
    [
      {
        origin: 'https://board.example',
        host: '127.0.0.1:3000',
        'x-forwarded-host': 'board.example',
      },
      undefined,
    ],
    [{ origin: 'null', host: 'a' }, 'its Origin "null" is not a URL'],
    [{}, undefined],
  ])('judges %j', (headers, expected) => {
    expect(crossSiteReason(headers)).toBe(expected);
  });
});

describe('board read-only by default', () => {
  it('shows every queue read-only, and refuses to clean one', async () => {
    const { url } = await startBoard(ctx);
    const res = await fetch(`${url}api/queues`, { headers: authHeader() });
    const body = (await res.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
    const clean = await fetch(`${url}api/queues/dead-letter/empty`, {
      method: 'PUT',
      headers: authHeader(),
    });
    expect(clean.status).toBe(405);
  });

  it('with edits allowed, still keeps the dead-letter queue read-only', async () => {
    const { url } = await startBoard(ctx, { readOnly: false });
    const res = await fetch(`${url}api/queues`, { headers: authHeader() });
    const body = (await res.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    const readOnly = Object.fromEntries(body.queues.map((q) => [q.name, q.readOnlyMode]));
    expect(readOnly).toMatchObject({ alert: false, archive: false, 'dead-letter': true });
    const obliterate = await fetch(`${url}api/queues/dead-letter/obliterate`, {
      method: 'PUT',
      headers: authHeader(),
    });
    expect(obliterate.status).toBe(405);
  });
});

describe('board login limit', () => {
  it('answers 429 to an address after 10 wrong logins, even with the right password', async () => {
    const { url } = await startBoard(ctx);
    // A browser's first request carries no credentials: that is not a guess.
    for (let i = 0; i < 12; i += 1) expect((await fetch(url)).status).toBe(401);
    for (let i = 0; i < 10; i += 1)
      expect((await fetch(url, { headers: authHeader('ops', `guess-${i}`) })).status).toBe(401);
    const blocked = await fetch(url, { headers: authHeader() });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.text()).toMatch(
      /^Too many failed logins from your address; try again in 15 minute\(s\)\./,
    );
  });

  it('forgets an address when its window ends, and forgets the oldest addresses first', () => {
    let now = 0;
    const limiter = new LoginLimiter(3, 1_000, () => now);
    for (let i = 0; i < 3; i += 1) limiter.fail('10.0.0.1');
    expect(limiter.blockedFor('10.0.0.1')).toBe(1_000);
    expect(limiter.blockedFor('10.0.0.2')).toBe(0);
    now = 999;
    expect(limiter.blockedFor('10.0.0.1')).toBe(1);
    now = 1_000;
    expect(limiter.blockedFor('10.0.0.1')).toBe(0);
    for (let i = 0; i < 3; i += 1) limiter.fail('10.0.0.1');
    for (let i = 0; i < 10_000; i += 1) limiter.fail(`192.168.${i >> 8}.${i & 255}`);
    expect(limiter.blockedFor('10.0.0.1')).toBe(0);
  });
});

describe('board beyond loopback', () => {
  const board = (password: string) =>
    createBoard({
      config: runwardenConfigSchema.parse({ board: { user: 'ops', password } }),
      logger: createLogger({ level: 'silent' }),
      redisUrl: ctx.redisUrl,
      prefix: ctx.prefix,
    });

  it('refuses a password shorter than 12 characters on 0.0.0.0, and says what to do', async () => {
    const short = board('x');
    ctx.defer(() => short.close());
    const err = await short.listen(0, '0.0.0.0').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RunwardenError);
    expect((err as RunwardenError).code).toBe('USAGE');
    expect((err as Error).message).toBe(
      'The board would listen on 0.0.0.0, beyond this machine, with a password of 1 character(s): set BOARD_PASSWORD to at least 12 characters, or listen on 127.0.0.1 (BOARD_HOST) behind a reverse proxy',
    );
    const loopback = board('x');
    ctx.defer(() => loopback.close());
    await expect(loopback.listen(0, '127.0.0.1')).resolves.toMatchObject({
      url: expect.any(String),
    });
  });

  it('warns at start that it serves plain HTTP beyond this machine', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => lines.push(line) } as never,
    });
    const wide = createBoard({
      config: runwardenConfigSchema.parse({
        board: { user: 'ops', password: 'correct horse battery staple' },
      }),
      logger,
      redisUrl: ctx.redisUrl,
      prefix: ctx.prefix,
    });
    ctx.defer(() => wide.close());
    await wide.listen(0, '0.0.0.0');
    const warnings = lines
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40);
    expect(warnings.map((w) => w.msg)).toContain(
      'The board listens on 0.0.0.0, reachable from other machines, and serves plain HTTP: Basic auth sends the board password with every request. Put a reverse proxy with TLS in front of it (and keep its port closed to others), or set BOARD_HOST=127.0.0.1',
    );
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['127.0.0.1.evil.example', false],
  ])('%s is loopback: %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
