/**
 * runwarden on a real 6-node Redis Cluster (`--cluster-replicas 1`): a burst
 * of 200 runs, kill -9 of the master holding runwarden's slot mid-burst. Every
 * run archived, reported and notified once (the audit); stall time and
 * duplicates printed. One cluster and one failover per file: a second failover
 * in a healed cluster was slow and flaky on a busy machine. The failover project
 * (vitest.config.ts) runs these files one at a time, after the rest of the suite
 * (redis-cluster.test.ts has `runwarden start`).
 */
import { describeFailover } from '../support/failover-burst.js';
import { startRedisCluster } from '@runwarden/testing';

describeFailover('Redis Cluster', 'roles', startRedisCluster);
