/**
 * Redis loses its data (FLUSHALL here; a restart without AOF or a failover to
 * an empty replica look the same) while jobs wait in it. The outbox says they
 * were enqueued; the scanner notices the loss and enqueues again what the
 * ledger has not acknowledged. Nothing is lost and nothing announced twice.
 * Its own redis-server: FLUSHALL must not touch other tests' keys.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRedisConnection } from '@runwarden/core';
import { createTestContext, startRedisServer, type TestContext, waitFor } from '@runwarden/testing';
import { startTestSystem } from '../support/system.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('scanner-flush');
});
afterEach(() => ctx.cleanup());

const runIds = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `r-${from + i}`);

describe('Redis flushed while jobs wait in it', () => {
  it('loses nothing: the scanner re-enqueues what the ledger has not acknowledged', async () => {
    const server = await startRedisServer();
    ctx.defer(() => server.stop());
    ctx.redisUrl = server.url;
    // Only the scanner at first: its jobs wait in Redis, so the flush surely takes them.
    const scanner = await startTestSystem(ctx, { roles: ['scanner'] });
    const before = runIds(1, 8);
    const after = runIds(9, 12);
    for (const runId of [...before, ...after]) scanner.worktree(runId);
    for (const runId of before)
      scanner.pipeline.run({ runId, pipeline: 'etl', state: 'succeeded' });
    await waitFor(
      () =>
        before.every((runId) =>
          scanner.rows('runwarden_events', runId).some((e) => e.enqueued_at !== null),
        ),
      'the first burst to be enqueued',
    );

    const admin = createRedisConnection(server.url, { name: 'test-admin' });
    ctx.defer(() => admin.quit());
    await admin.flushall();
    for (const runId of after) scanner.pipeline.run({ runId, pipeline: 'etl', state: 'succeeded' });

    const workers = await startTestSystem(ctx, { roles: ['archive', 'report', 'alert'] });
    const reports = workers.config.paths.reports;
    await waitFor(
      () => [...before, ...after].every((r) => existsSync(path.join(reports, `${r}_summary.json`))),
      'every run to be reported',
      30_000,
    );
    for (const runId of [...before, ...after]) {
      await waitFor(
        () => workers.rows('runwarden_archives', runId).some((a) => a.status === 'archived'),
        `the archive of ${runId} in the ledger`,
      );
      await waitFor(
        () => workers.rows('runwarden_alerts', runId).some((a) => a.status === 'sent'),
        `the alert for ${runId} in the ledger`,
      );
    }
    for (const runId of [...before, ...after])
      expect(
        workers
          .console()
          .split('\n')
          .filter((l) => new RegExp(`^\\s+run:\\s+${runId} `).test(l)),
        `alerts printed for ${runId}`,
      ).toHaveLength(1);
  });
});
