import {
  ALL_QUEUES,
  createLogger,
  createRedisConnection,
  RunwardenError,
  runwardenConfigSchema,
  scannerStatusKey,
} from '@runwarden/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, startRedisServer, type TestContext } from '@runwarden/testing';
import { createBoard } from './create-board.js';
import { authHeader, seedJobs, startBoard } from './board.fixture.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('board');
});
afterEach(() => ctx.cleanup());

describe('createBoard credentials', () => {
  it('refuses to start without a user and password, saying how to fix it', () => {
    const config = runwardenConfigSchema.parse({});
    const attempt = () =>
      createBoard({
        config,
        logger: createLogger({ level: 'silent' }),
        redisUrl: ctx.redisUrl,
        prefix: ctx.prefix,
      });
    expect(attempt).toThrow(RunwardenError);
    expect(attempt).toThrow(/BOARD_USER and BOARD_PASSWORD.*--open/);
    try {
      attempt();
    } catch (err) {
      expect((err as RunwardenError).code).toBe('USAGE');
    }
  });

  it('serves without a login when open is set', async () => {
    const config = runwardenConfigSchema.parse({});
    const board = createBoard({
      config,
      logger: createLogger({ level: 'silent' }),
      redisUrl: ctx.redisUrl,
      prefix: ctx.prefix,
      open: true,
    });
    ctx.defer(() => board.close());
    const { url: openUrl } = await board.listen(0, '127.0.0.1');
    expect((await fetch(`${openUrl}api/queues`)).status).toBe(200);
  });
});

describe('board over HTTP', () => {
  it('answers 401 with a Basic challenge without or with wrong credentials', async () => {
    const { url } = await startBoard(ctx);
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await fetch(url, { headers: authHeader('ops', 'wrong') })).status).toBe(401);
    expect((await fetch(`${url}api/queues`, { headers: authHeader('nobody') })).status).toBe(401);
    expect((await fetch(url, { headers: authHeader() })).status).toBe(200);
  });

  it('lists every runwarden queue, the dead-letter queue included', async () => {
    const { url, config } = await startBoard(ctx);
    await seedJobs(ctx, config);
    const res = await fetch(`${url}api/queues?activeQueue=dead-letter&status=latest&page=1`, {
      headers: authHeader(),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      queues: { name: string; readOnlyMode: boolean; counts: Record<string, number> }[];
    };
    expect(body.queues.map((q) => q.name).sort()).toEqual([...ALL_QUEUES].sort());
    expect(body.queues.find((q) => q.name === 'dead-letter')?.counts.waiting).toBe(1);
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true); // read-only unless edits are allowed
  });

  it('masks secrets in job data and refuses to save masked values back', async () => {
    const { url, config } = await startBoard(ctx);
    await seedJobs(ctx, config);
    const res = await fetch(`${url}api/queues/alert/run-1.alert`, { headers: authHeader() });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('s3cr3tXYZ');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('[redacted]');
    const save = await fetch(`${url}api/queues/alert/run-1.alert/update-data`, {
      method: 'PUT',
      headers: { ...authHeader(), 'content-type': 'application/json' },
      body: JSON.stringify({ jobData: { channel: { webhookUrl: '[redacted]' } } }),
    });
    expect(save.status).toBe(400);
    expect(await save.text()).toMatch(/overwrite the real values/);
  });

  it('honours read-only mode and a base path, keeping probes at the root', async () => {
    const { url } = await startBoard(ctx, { readOnly: true, basePath: '/ops/queues/' });
    expect(url).toMatch(/\/ops\/queues\/$/);
    const origin = new URL(url).origin;
    const res = await fetch(`${url}api/queues`, { headers: authHeader() });
    const body = (await res.json()) as { queues: { readOnlyMode: boolean }[] };
    expect(body.queues.length).toBe(ALL_QUEUES.length);
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${origin}/api/queues`, { headers: authHeader() })).status).toBe(404);
  });
});

describe('probes', () => {
  it('serves /healthz and /readyz without credentials', async () => {
    const { url } = await startBoard(ctx);
    const origin = new URL(url).origin;
    const health = await fetch(`${origin}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
  });

  it('answers /readyz with 503 while its Redis is stopped, and 200 again once it is back', async () => {
    const redis = await startRedisServer();
    ctx.defer(() => redis.stop());
    const { url } = await startBoard(ctx, {}, redis.url);
    const origin = new URL(url).origin;
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    await redis.kill();
    const down = await fetch(`${origin}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'unavailable' });
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    await redis.start();
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
  });

  it('answers /readyz with 503 when the scanner status cannot be read, rather than calling it not blind', async () => {
    const { url } = await startBoard(ctx);
    const origin = new URL(url).origin;
    const redis = createRedisConnection(ctx.redisUrl);
    ctx.defer(() => redis.disconnect());
    await redis.set(scannerStatusKey(ctx.prefix), 'not a hash');
    const ready = await fetch(`${origin}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: 'unavailable',
      redis: 'ok',
      scanner: "unknown: the scanner's status could not be read (see the board's log)",
    });
    await redis.del(scannerStatusKey(ctx.prefix));
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
  });
});

describe('listen', () => {
  it('rejects when the port is taken, instead of crashing the process', async () => {
    const { url } = await startBoard(ctx);
    const config = runwardenConfigSchema.parse({ board: { user: 'u', password: 'p' } });
    const second = createBoard({
      config,
      logger: createLogger({ level: 'silent' }),
      redisUrl: ctx.redisUrl,
      prefix: ctx.prefix,
    });
    ctx.defer(() => second.close());
    await expect(second.listen(Number(new URL(url).port), '127.0.0.1')).rejects.toThrow(
      /EADDRINUSE/,
    );
  });
});
