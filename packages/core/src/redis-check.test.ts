import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, freePort, type PrivateRedis } from './private-redis.js';
import {
  checkRedis,
  closeRedisConnection,
  createRedisConnection,
  waitForReplicas,
} from './redis.js';
import { RedisCheckError } from './redis-url.js';

let locked: PrivateRedis;
let replica: PrivateRedis;
let lru: PrivateRedis;

beforeAll(async () => {
  locked = await startPrivateRedis({ extraArgs: ['--requirepass', 'right-pass'] });
  lru = await startPrivateRedis({ extraArgs: ['--maxmemory-policy', 'allkeys-lru'] });
  replica = await startPrivateRedis({ extraArgs: ['--replicaof', '127.0.0.1', String(lru.port)] });
});
afterAll(async () => {
  await Promise.all([locked?.stop(), replica?.stop(), lru?.stop()]);
});

async function problemOf(url: string): Promise<RedisCheckError> {
  const err = await checkRedis(url).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RedisCheckError);
  return err as RedisCheckError;
}

describe('checkRedis', () => {
  it('says the login was refused, without the password', async () => {
    const err = await problemOf(`redis://:wrong-pass@127.0.0.1:${locked.port}`);
    expect(err.problem).toBe('auth');
    expect(err.message).toMatch(
      /^Redis at redis:\/\/127\.0\.0\.1:\d+ refused the login \(WRONGPASS/,
    );
    expect(err.message).not.toContain('wrong-pass');
  });

  it('passes with the right password', async () => {
    const check = await checkRedis(`redis://:right-pass@127.0.0.1:${locked.port}`);
    expect(check.evictionPolicies).toEqual(['noeviction']);
  });

  it('says a replica is not a master', async () => {
    const err = await problemOf(replica.url);
    expect(err.problem).toBe('not-master');
    expect(err.message).toMatch(/is a slave \(a replica\), not a master/);
  });

  it('says nothing answers', async () => {
    const port = await freePort();
    const err = await problemOf(`redis://127.0.0.1:${port}`);
    expect(err.problem).toBe('unreachable');
    expect(err.message).toBe(
      `Redis at redis://127.0.0.1:${port} is not reachable (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
  });

  it('reports the eviction policy', async () => {
    expect((await checkRedis(lru.url)).evictionPolicies).toEqual(['allkeys-lru']);
  });
});

describe('waitForReplicas', () => {
  it('waits for the replica of a master that has one, and not at all without', async () => {
    const withReplica = createRedisConnection(lru.url);
    const alone = createRedisConnection(`redis://:right-pass@127.0.0.1:${locked.port}`);
    const replicaClient = createRedisConnection(replica.url);
    try {
      // The replica syncs in the background after it starts: wait for its link.
      while (!/master_link_status:up/.test(await replicaClient.info('replication')))
        await new Promise((r) => setTimeout(r, 50));
      await withReplica.set('k', 'v');
      await alone.set('k', 'v');
      await expect(waitForReplicas(withReplica, 'k')).resolves.toEqual({
        replicas: 1,
        acknowledged: 1,
      });
      await expect(waitForReplicas(alone, 'k')).resolves.toEqual({ replicas: 0, acknowledged: 0 });
    } finally {
      await closeRedisConnection(withReplica);
      await closeRedisConnection(alone);
      await closeRedisConnection(replicaClient);
    }
  });
});
