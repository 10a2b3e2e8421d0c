/**
 * Redis down for 60 s under idle roles: each process says so once, then at
 * most once per 30 s, all as JSON log lines (no raw ioredis/BullMQ stack
 * traces); one process is stopped with SIGTERM during the outage and exits
 * within shutdownTimeout; the other says when Redis is back.
 *
 * The 60 s are the fault's duration (the issue's), not a wait for an event.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runCliProcess, waitFor } from '@runwarden/testing';
import { faultContextPerTest, startFaultSystem } from '../support/fault-system.js';

const newFaultContext = faultContextPerTest();
const OUTAGE_MS = 60_000;
const SHUTDOWN_TIMEOUT_S = 5;

function linesAfter(text: string, offset: number): string[] {
  return text
    .slice(offset)
    .split('\n')
    .filter((l) => l.trim() !== '');
}

describe('Redis down for 60 s', () => {
  it(
    'is logged in at most 5 JSON lines per process, and SIGTERM still exits in time',
    { timeout: 240_000 },
    async () => {
      const fc = await newFaultContext('redis-quiet');
      const s = startFaultSystem(fc, {
        alerts: { channels: { console: {} }, rules: [] },
        configYaml: `shutdownTimeout: ${SHUTDOWN_TIMEOUT_S}s`,
      });
      const all = s.role('start', ['start', '--no-board']);
      const workers = s.role('workers', ['worker', 'archive', 'report', 'alert']);
      await s.waitForLease();
      // The human line comes after the JSON "runwarden running" one: wait for both.
      for (const role of [all, workers])
        await waitFor(
          () => /runwarden running/.test(role.output()) && /Press Ctrl\+C/.test(role.output()),
          `${role.name} to start`,
          60_000,
        );
      // The scanner's first scan says how many runs it follows: before the outage, not in it.
      await waitFor(
        () => /Monitoring \d+ active runs/.test(all.output()),
        'the first scan',
        30_000,
      );

      const from = { all: all.output().length, workers: workers.output().length };
      await fc.redis.kill(true);
      const status = await runCliProcess(['--config', s.files.config, 'status'], {
        cwd: fc.ctx.dir,
        env: { REDIS_URL: fc.redis.url },
      });
      await sleep(OUTAGE_MS);

      const stopped = Date.now();
      const exit = await workers.stop('SIGTERM');
      const stopSeconds = (Date.now() - stopped) / 1000;
      console.log(
        `workers exited with ${String(exit)} ${stopSeconds.toFixed(1)} s after SIGTERM (shutdownTimeout ${SHUTDOWN_TIMEOUT_S} s)`,
      );
      const outageLines = {
        all: linesAfter(all.output(), from.all),
        workers: linesAfter(workers.output(), from.workers),
      };
      await fc.redis.start();
      await waitFor(() => /is back after/.test(all.output()), 'the back-again line', 30_000);

      for (const [name, lines] of Object.entries(outageLines)) {
        const during =
          name === 'workers'
            ? lines.filter((l) => !/SIGTERM|Shutdown|exiting now|Stopped/.test(l))
            : lines;
        console.log(`${name}: ${during.length} line(s) during the outage:\n${during.join('\n')}`);
        for (const line of lines) expect(() => JSON.parse(line), `${name}: ${line}`).not.toThrow();
        expect(during.length, name).toBeGreaterThanOrEqual(1);
        expect(during.length, name).toBeLessThanOrEqual(5);
        expect(JSON.parse(during[0]!).msg).toMatch(
          /^Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable/,
        );
      }
      expect(exit, 'SIGTERM during the outage ends the process').not.toBeNull();
      expect(
        stopSeconds,
        'the workers exit within shutdownTimeout (plus process teardown)',
      ).toBeLessThan(SHUTDOWN_TIMEOUT_S + 5);
      expect(status.code).toBe(1);
      expect(status.stderr).toMatch(
        /^runwarden: Redis unreachable since \d{4}-\d\d-\d\dT[\d:.]+Z or earlier \(the scanner .* last renewed its lease through it then\)\. Redis at redis:\/\/127\.0\.0\.1:\d+ is not reachable/,
      );
      const back = linesAfter(all.output(), from.all).filter((l) => /is back after/.test(l));
      expect(back).toHaveLength(1);
    },
  );
});
