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
import { waitFor } from '../support/context.js';
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
      await waitFor(
        () => /runwarden running/.test(workers.output()),
        'the workers to start',
        60_000,
      );

      const from = { all: all.output().length, workers: workers.output().length };
      await fc.redis.kill(true);
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
      const back = linesAfter(all.output(), from.all).filter((l) => /is back after/.test(l));
      expect(back).toHaveLength(1);
    },
  );
});
