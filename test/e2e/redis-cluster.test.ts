/**
 * runwarden on a real 6-node Redis Cluster (`--cluster-replicas 1`): a burst
 * of 200 runs, kill -9 of the master holding runwarden's slot mid-burst. Every
 * run archived, reported and notified once (the audit); stall time and
 * duplicates printed. One cluster for the file; healed between tests.
 */
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { failoverBurst } from '../support/failover-burst.js';
import { startRedisCluster, type RedisTopology } from '../support/redis-server.js';

let cluster: RedisTopology;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 120_000);
afterEach(() => cluster.heal(), 120_000);
afterAll(() => cluster?.stop(), 60_000);

describe('Redis Cluster failover', () => {
  it(
    'runwarden start rides out kill -9 of the master: nothing lost or doubled',
    { timeout: 600_000 },
    async () => {
      await failoverBurst(cluster, 'start', 'Redis Cluster');
    },
  );

  it(
    'separate roles ride out kill -9 of the master: nothing lost or doubled',
    { timeout: 600_000 },
    async () => {
      await failoverBurst(cluster, 'roles', 'Redis Cluster');
    },
  );
});
