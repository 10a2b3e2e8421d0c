import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { createFixture, failedRun } from './alert-worker.fixture.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('alert-http');
});
afterEach(() => ctx.cleanup());

/** Answers each path from its script (then 200) and records when each request arrived. */
async function startServer(
  scripts: Record<string, { status: number; headers?: Record<string, string> }[]>,
) {
  const arrivals: { path: string; at: number; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      arrivals.push({ path, at: Date.now(), body });
      const answer = scripts[path]?.shift() ?? { status: 200 };
      res.writeHead(answer.status, answer.headers).end(answer.status === 200 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ctx.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { arrivals, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('alert worker over HTTP channels', () => {
  it("waits Slack's Retry-After after a 429, retries a webhook's 500, and never logs a secret", async () => {
    const slackPath = '/services/T0/B0/sekritSlackToken';
    const server = await startServer({
      [slackPath]: [{ status: 429, headers: { 'retry-after': '1' } }],
      '/hook': [{ status: 500 }],
    });
    const f = createFixture(ctx, {
      channels: {
        console: {},
        slack: { webhookUrl: `${server.base}${slackPath}` },
        webhook: {
          url: `${server.base}/hook?token=sekritHookToken`,
          headers: { authorization: 'Bearer sekritBearer' },
        },
      },
      rules: [
        {
          name: 'run_failure',
          match: { type: 'run_completed' },
          severity: 'critical',
          channels: ['console', 'slack', 'webhook'],
        },
      ],
    });
    f.start();
    await f.enqueue(failedRun('77'));
    await waitFor(
      () =>
        server.arrivals.filter((a) => a.path === slackPath).length === 2 &&
        server.arrivals.filter((a) => a.path === '/hook').length === 2,
      'Slack and the webhook to be retried',
      20_000,
    );

    const slack = server.arrivals.filter((a) => a.path === slackPath);
    // The retry honours Retry-After: 1 (a lower bound, so it cannot be flaky on a slow machine).
    expect(slack[1]!.at - slack[0]!.at).toBeGreaterThanOrEqual(950);
    expect(JSON.parse(slack[1]!.body)).toMatchObject({
      text: '[CRITICAL] run_failure: run 77 failed (4/5 steps)',
    });
    await waitFor(
      () => f.logs().filter((l) => String(l.msg).includes('done')).length >= 4,
      'the deliveries to complete',
    );
    expect(f.consoleText().match(/\[ALERT\]/g)).toHaveLength(1);

    const text = JSON.stringify(f.logs());
    expect(text).toContain('rate limiting us (HTTP 429)');
    expect(text).toContain('webhook answered HTTP 500');
    for (const secret of ['sekritSlackToken', 'sekritHookToken', 'sekritBearer'])
      expect(text).not.toContain(secret);
  });

  it('holds only Slack during its Retry-After: the webhook is delivered meanwhile', async () => {
    const slackPath = '/services/T0/B0/sekritSlackToken';
    const server = await startServer({
      [slackPath]: [{ status: 429, headers: { 'retry-after': '60' } }],
    });
    const f = createFixture(ctx, {
      channels: {
        slack: { webhookUrl: `${server.base}${slackPath}` },
        webhook: { url: `${server.base}/hook` },
      },
      rules: [
        {
          name: 'run_failure',
          match: { type: 'run_completed' },
          severity: 'critical',
          channels: ['slack', 'webhook'],
        },
      ],
    });
    f.start();
    await f.enqueue(failedRun('78'));
    await waitFor(
      () => server.arrivals.some((a) => a.path === slackPath),
      'the 429 from Slack',
      20_000,
    );
    // Enqueued after the 429: with a queue-wide rate limit it would wait the whole minute.
    await f.enqueue(failedRun('79'));
    await waitFor(
      () => server.arrivals.filter((a) => a.path === '/hook').length === 2,
      'both webhook deliveries',
      20_000,
    );
    // Slack asked for 60 s: it has been called once, and nothing more until then.
    expect(server.arrivals.filter((a) => a.path === slackPath)).toHaveLength(1);
  });
});
