/**
 * Hostile peers and hostile text, through the real `runwarden` process: a
 * receiver that floods or stalls its answer, a dead letter whose run id
 * carries terminal escapes. Each probe names the issue-14 item it covers.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRedisConnection, QueueSet, runwardenConfigSchema } from '@runwarden/core';
import { createTestContext, runCliProcess, type TestContext } from '@runwarden/testing';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('hostile');
});
afterEach(() => ctx.cleanup());

/** runwarden.yaml and alerts.yaml in the test's folder; returns the config path. */
function writeConfig(alerts: string): string {
  const file = path.join(ctx.dir, 'runwarden.yaml');
  writeFileSync(
    file,
    `redis: { url: "${ctx.redisUrl}", prefix: "${ctx.prefix}" }\nalerts: alerts.yaml\n`,
  );
  writeFileSync(path.join(ctx.dir, 'alerts.yaml'), alerts);
  return file;
}

/** Answers 200, then either floods the body without end or sends nothing more. */
async function receiver(mode: 'flood' | 'stall') {
  const seen = { bytesOut: 0, hungUp: 0 };
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.on('close', () => (seen.hungUp += 1));
    if (mode === 'stall') return void res.flushHeaders();
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) seen.bytesOut += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ctx.defer(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

describe('issue 14 item 1: an HTTP receiver cannot hold a delivery or fill memory', () => {
  it('`alert test` reads 64 KiB of an endless 200 answer, reports success and hangs up', async () => {
    const hook = await receiver('flood');
    const config = writeConfig(
      `channels:\n  webhook: { url: "${hook.url}", timeout: 30s }\nrules: []\n`,
    );
    const run = await runCliProcess(['--config', config, 'alert', 'test', '--channel', 'webhook'], {
      cwd: ctx.dir,
    });
    expect(run.stdout).toContain('ok     webhook: webhook accepted the notification (HTTP 200)');
    expect(run.code).toBe(0);
    expect(hook.seen.hungUp).toBe(1);
    expect(hook.seen.bytesOut).toBeLessThan(64 * 1024 * 1024);
  });

  it('`alert test` gives up on a receiver that sends headers and then nothing, at its timeout', async () => {
    const hook = await receiver('stall');
    const config = writeConfig(
      `channels:\n  webhook: { url: "${hook.url}", timeout: 500ms }\nrules: []\n`,
    );
    const run = await runCliProcess(['--config', config, 'alert', 'test', '--channel', 'webhook'], {
      cwd: ctx.dir,
    });
    expect(run.stdout).toContain(
      'FAILED webhook: webhook: could not deliver to the webhook (no complete answer within 500 ms)',
    );
    expect(run.code).toBe(1);
  });
});

describe('issue 14 item 4: terminal escapes in pipeline text are shown, not obeyed', () => {
  it('`dlq list` prints a dead letter whose run id and reason carry ESC sequences', async () => {
    const config = writeConfig('rules: []\n');
    const redis = createRedisConnection(ctx.redisUrl);
    const queues = new QueueSet({
      connection: redis,
      prefix: ctx.prefix,
      config: runwardenConfigSchema.parse({}),
    });
    ctx.defer(() => redis.quit());
    ctx.defer(() => queues.close());
    const runId = 'r1\x1b]0;owned\x07\x1b[2J';
    await queues.addDeadLetter({
      queue: 'report',
      jobId: `${runId}.completed`,
      name: 'run_completed',
      data: { runId },
      failedReason: `report for ${runId} failed:\n\x1b[31mfake\x1b[0m\u202e`,
      attemptsMade: 5,
      unrecoverable: false,
      failedAt: '2026-12-01T00:00:00.000Z',
    });
    const run = await runCliProcess(['--config', config, 'dlq', 'list'], { cwd: ctx.dir });
    expect(run.code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(run.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(run.stdout).toContain('run=r1\\u001b]0;owned\\u0007\\u001b[2J');
    expect(run.stdout).toContain('failed:\\u000a\\u001b[31mfake\\u001b[0m\\u202e');
  });
});

describe('issue 14 item 7: a hostile configuration is a configuration error', () => {
  it('`config check` exits 2 on an alias bomb, naming file and line', async () => {
    const bomb = [
      'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
      ...Array.from(
        { length: 9 },
        (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`,
      ),
    ].join('\n');
    const config = writeConfig('rules: []\n');
    writeFileSync(config, `alerts: alerts.yaml\n${bomb}\n`);
    const run = await runCliProcess(['--config', config, 'config', 'check'], { cwd: ctx.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `${config}:3:10: invalid YAML: Excessive alias count indicates a resource exhaustion attack`,
    );
  });
});
