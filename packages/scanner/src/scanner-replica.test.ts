/**
 * The outbox marks an event enqueued only when a replica has its jobs: a real
 * master and replica, the replica frozen (SIGSTOP) so that WAIT times out.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  QUEUES,
  createRedisConnection,
  parseScannerStatus,
  scannerStatusKey,
  startPrivateRedis,
  type PrivateRedis,
} from '@runwarden/core';
import { createTestContext, waitFor } from '@runwarden/testing';
import { createScannerFixture, logsMatching } from './scanner.fixture.js';

let master: PrivateRedis;
let replica: PrivateRedis;
beforeAll(async () => {
  master = await startPrivateRedis();
  replica = await startPrivateRedis({
    extraArgs: ['--replicaof', '127.0.0.1', String(master.port)],
  });
  const probe = createRedisConnection(replica.url);
  try {
    await waitFor(
      async () => /master_link_status:up/.test(await probe.info('replication')),
      'the replica to sync',
    );
  } finally {
    probe.disconnect();
  }
}, 30_000);
afterAll(async () => {
  replica?.process.kill('SIGCONT');
  await Promise.all([replica?.stop(), master?.stop()]);
});

describe('scanner outbox and Redis replicas', () => {
  it('keeps events in the outbox until a replica has their jobs, then marks them once', async () => {
    const ctx = createTestContext('scanner-replica');
    ctx.redisUrl = master.url;
    const fx = createScannerFixture(ctx);
    const admin = createRedisConnection(master.url);
    ctx.defer(() => admin.disconnect());
    const enqueuedAt = () => {
      const db = new Database(fx.config.database, { readonly: true });
      try {
        return (
          db.prepare("SELECT enqueued_at FROM runwarden_events WHERE id = 'r.completed'").get() as
            { enqueued_at: string | null } | undefined
        )?.enqueued_at;
      } finally {
        db.close();
      }
    };
    const status = async () =>
      parseScannerStatus(await admin.hgetall(scannerStatusKey(ctx.prefix)));
    try {
      const scanner = fx.scanner();
      ctx.defer(() => scanner.close());
      await scanner.start();
      await waitFor(() => scanner.isLeader(), 'the lease');

      replica.process.kill('SIGSTOP');
      fx.writer.run({ runId: 'r', state: 'succeeded' });
      await waitFor(
        () => logsMatching(fx.logs, 'Redis replica(s) acknowledged').length > 0,
        'the warning that no replica has the jobs',
      );
      // Added to the master, but not marked: a failover now must not lose it silently.
      expect(await fx.queues.get(QUEUES.alert).getJob('r.completed')).toBeDefined();
      expect(enqueuedAt()).toBeNull();
      await waitFor(async () => (await status()).replicaWaitSince, 'replicaWaitSince in status');

      replica.process.kill('SIGCONT');
      await waitFor(() => enqueuedAt(), 'the event marked enqueued', 20_000);
      expect(logsMatching(fx.logs, 'A Redis replica has the scanner')).toHaveLength(1);
      expect(logsMatching(fx.logs, 'Redis replica(s) acknowledged')).toHaveLength(1);
      await waitFor(
        async () => (await status()).replicaWaitSince === null,
        'replicaWaitSince cleared',
      );
      const alerts = await fx.queues.get(QUEUES.alert).getJobs(['waiting', 'prioritized']);
      expect(alerts.map((j) => j.id)).toEqual(['r.completed']);
    } finally {
      replica.process.kill('SIGCONT');
      await ctx.cleanup();
    }
  }, 60_000);
});
