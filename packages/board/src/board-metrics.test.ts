import {
  alertStatsKey,
  ALL_QUEUES,
  createLogger,
  createRedisConnection,
  QueueSet,
  runwardenConfigSchema,
  scannerLeaseKey,
  scannerStatusKey,
} from '@runwarden/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, startRedisServer, type TestContext } from '@runwarden/testing';
import { createBoardMetrics } from './board-metrics.js';
import { seedJobs, startBoard } from './board.fixture.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('board-metrics');
});
afterEach(() => ctx.cleanup());

/** `name{labels} value` lines of a Prometheus text body, keyed by everything before the value. */
function samples(body: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function writeStatusHashes(): Promise<void> {
  const redis = createRedisConnection(ctx.redisUrl);
  try {
    // The holder is the lease key's; the hash names the last scanner that scanned (another here).
    await redis.set(scannerLeaseKey(ctx.prefix), 'host-a-4242-f00d.1a2b3c4d', 'PX', 60_000);
    await redis.hset(scannerStatusKey(ctx.prefix), {
      holder: 'host-b-17-beef',
      lastScanAt: new Date(Date.now() - 5_000).toISOString(),
      lastScanMs: '12',
      activeRuns: '7',
      lastDetectionLagMs: '250',
      eventsEnqueued: '31',
    });
    await redis.hset(alertStatsKey(ctx.prefix), {
      sent: '5',
      held: '2',
      digests: '1',
      deadLettered: '0',
      deduplicated: 'not-a-number',
      failed: '3',
      unmatched: '4',
      silenced: '6',
    });
  } finally {
    await redis.quit();
  }
}

describe('/metrics', () => {
  it('reports jobs by queue and state, job durations, scanner status and alert totals without credentials', async () => {
    const { url, config } = await startBoard(ctx);
    await seedJobs(ctx, config);
    await writeStatusHashes();
    const res = await fetch(`${new URL(url).origin}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    const m = samples(body);
    expect(m.get('runwarden_redis_up')).toBe(1);
    expect(m.get('runwarden_queue_jobs{queue="archive",state="waiting"}')).toBe(2);
    expect(m.get('runwarden_queue_jobs{queue="dead-letter",state="waiting"}')).toBe(1);
    expect(m.get('runwarden_queue_jobs{queue="report",state="completed"}')).toBe(1);
    expect(m.get('runwarden_job_duration_samples{queue="report"}')).toBe(1);
    expect(
      m.get('runwarden_job_duration_seconds{queue="report",quantile="0.99"}'),
    ).toBeGreaterThanOrEqual(0);
    expect(m.get('runwarden_scanner_lease_holder{holder="host-a-4242-f00d"}')).toBe(1);
    expect(body).not.toContain('holder="host-b-17-beef"');
    expect(m.get('runwarden_scanner_detection_lag_seconds')).toBe(0.25);
    expect(m.get('runwarden_scanner_scan_duration_seconds')).toBe(0.012);
    expect(m.get('runwarden_scanner_active_runs')).toBe(7);
    expect(m.get('runwarden_scanner_last_scan_age_seconds')).toBeGreaterThanOrEqual(5);
    expect(m.get('runwarden_scanner_events_enqueued_total')).toBe(31);
    expect(m.get('runwarden_alerts_total{outcome="sent"}')).toBe(5);
    expect(m.get('runwarden_alerts_total{outcome="held"}')).toBe(2);
    expect(m.get('runwarden_alerts_total{outcome="digests"}')).toBe(1);
    expect(m.has('runwarden_alerts_total{outcome="deduplicated"}')).toBe(false);
    // Every counter the alert engine keeps (one list in core), not a copy that lacked some.
    expect(m.get('runwarden_alerts_total{outcome="failed"}')).toBe(3);
    expect(m.get('runwarden_alerts_total{outcome="unmatched"}')).toBe(4);
    expect(m.get('runwarden_alerts_total{outcome="silenced"}')).toBe(6);
    expect(body).toContain('# TYPE runwarden_alerts_total counter');
    expect(m.has('runwarden_board_process_cpu_user_seconds_total')).toBe(true);
  });

  it('leaves scanner gauges out when the scanner has written nothing yet', async () => {
    const { url } = await startBoard(ctx);
    const m = samples(await (await fetch(`${new URL(url).origin}/metrics`)).text());
    expect(m.get('runwarden_redis_up')).toBe(1);
    expect([...m.keys()].some((k) => k.startsWith('runwarden_scanner_'))).toBe(false);
    expect(m.get('runwarden_queue_jobs{queue="alert",state="waiting"}')).toBe(0);
  });

  it('reports runwarden_redis_up 0 and drops queue gauges when Redis does not answer', async () => {
    const redis = await startRedisServer();
    ctx.defer(() => redis.stop());
    const config = runwardenConfigSchema.parse({});
    const connection = createRedisConnection(redis.url);
    connection.on('error', () => undefined); // Redis is stopped on purpose below
    const queues = new QueueSet({ connection, prefix: ctx.prefix, config });
    ctx.defer(() => connection.disconnect());
    ctx.defer(() => queues.close());
    for (const name of ALL_QUEUES) queues.get(name).on('error', () => undefined);
    const metrics = createBoardMetrics({
      queue: (n) => queues.get(n),
      redis: connection,
      prefix: ctx.prefix,
      logger: createLogger({ level: 'silent' }),
      collectTimeoutMs: 300,
    });
    expect(
      samples((await metrics.render()).body).get(
        'runwarden_queue_jobs{queue="archive",state="waiting"}',
      ),
    ).toBe(0);
    await redis.kill();
    const down = samples((await metrics.render()).body);
    expect(down.get('runwarden_redis_up')).toBe(0);
    expect([...down.keys()].some((k) => k.startsWith('runwarden_queue_jobs'))).toBe(false);
  });
});
