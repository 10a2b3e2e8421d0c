/**
 * A configured Redis that cannot be used is an error naming the problem, with
 * exit status 1: runwarden never starts a private redis-server next to it (that
 * would be a second system on the same database). Real processes, real Redis.
 */
import path from 'node:path';
import { createPipelineWriter } from '@runwarden/store';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  freePort,
  type RedisServer,
  runCliProcess,
  startRedisServer,
  type TestContext,
} from '@runwarden/testing';
import { testConfigYaml, writeConfigFiles } from '../support/processes.js';

let locked: RedisServer;
let ctx: TestContext;

beforeAll(async () => {
  locked = await startRedisServer({ extraArgs: ['--requirepass', 'the-right-one'] });
});
afterAll(() => locked?.stop());
afterEach(() => ctx?.cleanup());

async function runWith(args: string[], env: Record<string, string>, redisYaml?: string) {
  ctx = createTestContext('redis-config');
  createPipelineWriter(path.join(ctx.dir, 'orchestration.db')).close();
  let yaml = testConfigYaml(ctx);
  if (redisYaml) yaml = yaml.replace(/^redis: .*$/m, redisYaml);
  const files = writeConfigFiles(ctx, yaml, 'channels: { console: {} }\nrules: []\n');
  return runCliProcess(['--config', files.config, ...args], {
    cwd: ctx.dir,
    env,
    timeoutMs: 60_000,
  });
}

function expectNoPrivateRedis(stderr: string) {
  expect(stderr).not.toMatch(/private redis-server/);
}

describe('a configured Redis that cannot be used', () => {
  it('refusing the login: says so, never prints the password, exit 1', async () => {
    const url = `redis://:oops-wrong@127.0.0.1:${locked.port}`;
    for (const args of [['start', '--no-board'], ['status'], ['dlq', 'list'], ['scanner']]) {
      const run = await runWith(args, { REDIS_URL: url });
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(1);
      expect(run.stderr).toMatch(
        /Redis at redis:\/\/127\.0\.0\.1:\d+ refused the login \(WRONGPASS/,
      );
      expect(run.stderr).toMatch(/REDIS_URL/);
      expect(run.stdout + run.stderr).not.toContain('oops-wrong');
      expectNoPrivateRedis(run.stderr);
    }
  });

  it('an unreachable host set in the config file: says it is not reachable, exit 1', async () => {
    const port = await freePort();
    const run = await runWith(
      ['start', '--no-board'],
      { REDIS_URL: '' },
      `redis: { url: "redis://:pw-x1@127.0.0.1:${port}", prefix: "p" }`,
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `Redis at redis://127\\.0\\.0\\.1:${port} is not reachable \\(connect ECONNREFUSED .*\\): start that Redis or fix redis\\.url in `,
      ),
    );
    expect(run.stderr).not.toContain('pw-x1');
    expectNoPrivateRedis(run.stderr);
  });

  it('an unreachable REDIS_URL: exit 1, no private Redis', async () => {
    const port = await freePort();
    const run = await runWith(['start', '--no-board'], { REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/is not reachable .*: start that Redis or fix REDIS_URL/);
    expectNoPrivateRedis(run.stderr);
  });

  it('a Cluster URL with a prefix that has no hash tag: names the fix, exit 1', async () => {
    const run = await runWith(['start', '--no-board'], {
      REDIS_URL: 'redis-cluster://:pw-c1@127.0.0.1:7101,127.0.0.1:7102',
      RUNWARDEN_PREFIX: 'runwarden',
    });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /prefix "runwarden" has no hash tag.*Set redis.prefix to "\{runwarden\}"/,
    );
    expect(run.stderr).not.toContain('pw-c1');
    expectNoPrivateRedis(run.stderr);
  });

  it('a replica instead of the master: says it is not a master, exit 1', async () => {
    const replica = await startRedisServer({
      extraArgs: ['--replicaof', '127.0.0.1', String(locked.port), '--masterauth', 'the-right-one'],
    });
    try {
      const run = await runWith(['worker', 'report'], { REDIS_URL: replica.url });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/is a slave \(a replica\), not a master/);
      expectNoPrivateRedis(run.stderr);
    } finally {
      await replica.stop();
    }
  });
});
