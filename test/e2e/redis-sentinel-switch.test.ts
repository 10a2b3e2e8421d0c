/**
 * A Sentinel failover that leaves the old master running (SENTINEL FAILOVER, or
 * a partition that heals): the Sentinels demote it and close its clients, and
 * a client that kept its connection would get READONLY (which reconnects).
 * runwarden's connections must follow the new master and never end for good
 * along the way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedisConnection, createRedisConnection } from '@runwarden/core';
import { type RedisTopology, startRedisSentinel, waitFor } from '@runwarden/testing';

let topology: RedisTopology;
beforeAll(async () => {
  topology = await startRedisSentinel();
}, 120_000);
afterAll(() => topology?.stop(), 60_000);

describe('Sentinel switch-over with the old master still up', () => {
  it('moves a connection to the new master without ending it', async () => {
    const connection = createRedisConnection(topology.url, { name: 'test:switch' });
    const ends: unknown[] = [];
    connection.on('end', () => ends.push(new Date()));
    try {
      await connection.set('switch:before', '1');
      const before = await topology.masterFor('switch:before');
      const sentinel = topology.nodes[2]!; // master, replica, then the Sentinels
      const admin = createRedisConnection(sentinel.url);
      try {
        // NOGOODSLAVE until the Sentinels have seen the replica (they ask the master every 10 s).
        await waitFor(
          () =>
            admin.call('SENTINEL', 'FAILOVER', 'mymaster').then(
              () => true,
              () => false,
            ),
          'the Sentinels to accept a failover',
          30_000,
          250,
        );
      } finally {
        await closeRedisConnection(admin);
      }
      const after = await waitFor(
        async () => {
          const master = await topology.masterFor('switch:after');
          return master.port !== before.port ? master : undefined;
        },
        'the Sentinels to name a new master',
        30_000,
        100,
      );
      // Wait until the old master is demoted: a write before that could land on it and be lost.
      await waitFor(
        async () => {
          const old = createRedisConnection(before.url);
          try {
            return /role:slave/.test(await old.info('replication'));
          } finally {
            await closeRedisConnection(old);
          }
        },
        'the old master to turn replica',
        30_000,
        100,
      );
      // Writes go on working, on the new master.
      await waitFor(
        () =>
          connection.set('switch:after', '2').then(
            () => true,
            () => false,
          ),
        'a write to succeed after the switch',
        30_000,
        100,
      );
      const check = createRedisConnection(after.url);
      try {
        expect(await check.get('switch:after')).toBe('2');
        expect((await check.info('replication')).match(/role:(\w+)/)?.[1]).toBe('master');
      } finally {
        await closeRedisConnection(check);
      }
      expect(ends).toEqual([]);
      expect(connection.status).toBe('ready');
    } finally {
      await closeRedisConnection(connection);
    }
  }, 90_000);
});
