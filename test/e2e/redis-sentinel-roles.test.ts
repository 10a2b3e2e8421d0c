/**
 * runwarden on a real Sentinel group (1 master, 1 replica, 3 Sentinels): a burst
 * of 200 runs, kill -9 of the master (the Sentinels promote the replica) mid-burst. Every
 * run archived, reported and notified once (the audit); stall time and
 * duplicates printed. One group for the file, one failover per group: a second
 * failover in the same group waits on every Sentinel re-learning the restarted
 * node, which made it slow and flaky on a busy machine
 * (redis-sentinel.test.ts has `runwarden start`).
 */
import { describeFailover } from '../support/failover-burst.js';
import { startRedisSentinel } from '@runwarden/testing';

describeFailover('Redis Sentinel', 'roles', startRedisSentinel);
