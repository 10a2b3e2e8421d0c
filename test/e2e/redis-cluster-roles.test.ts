/**
 * runwarden on a real 6-node Redis Cluster (`--cluster-replicas 1`): a burst
 * of 200 runs, kill -9 of the master holding runwarden's slot mid-burst. Every
 * run archived, reported and notified once (the audit); stall time and
 * duplicates printed. One cluster and one failover per file: a second failover
 * in a healed cluster was slow and flaky on a busy machine
 * (redis-cluster.test.ts has `runwarden start`).
 */
import { describeFailover } from '../support/failover-burst.js';
import { startRedisCluster } from '../support/redis-server.js';

// Opt-in (RUNWARDEN_CLUSTER_TEST=1): in a clean-clone CI run on this 2-core machine,
// beside the rest of the suite, the cluster once took over 120 s to serve
// runwarden again after the kill; alone it takes 4-10 s.
const enabled = process.env.RUNWARDEN_CLUSTER_TEST === '1';
if (!enabled)
  console.log('Redis Cluster failover test skipped: set RUNWARDEN_CLUSTER_TEST=1 to run it');

describeFailover('Redis Cluster', 'roles', startRedisCluster, enabled);
