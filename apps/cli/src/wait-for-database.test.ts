import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPipelineWriter } from '@runwarden/store';
import {
  createTestContext,
  runCliProcess,
  spawnCli,
  type TestContext,
  waitFor,
} from '@runwarden/testing';
import type { StatusReport } from './commands/status.js';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('wait-db');
});
afterEach(() => ctx.cleanup());

describe('a scanner started before the pipeline database exists', () => {
  it(
    'waits, says so in its log and in status, then starts when the file appears',
    { timeout: 240_000 },
    async () => {
      const database = path.join(ctx.dir, 'state', 'orchestration.db');
      const env = {
        REDIS_URL: ctx.redisUrl,
        RUNWARDEN_PREFIX: ctx.prefix,
        RUNWARDEN_DATABASE: database,
        LOG_LEVEL: 'info',
      };
      const scanner = spawnCli(['scanner'], { env });
      let output = '';
      scanner.stdout!.on('data', (d) => (output += d));
      scanner.stderr!.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => scanner.on('close', resolve));
      ctx.defer(() => scanner.kill('SIGKILL'));

      await waitFor(
        () => output.includes('Scanner waiting for database'),
        'the waiting line',
        60_000,
      );
      expect(output).toContain(`The orchestration database ${database} does not exist.`);
      const waiting = await runCliProcess(['status', '--json'], { env });
      expect(waiting.code).toBe(0);
      const report = JSON.parse(waiting.stdout) as StatusReport;
      expect(Object.values(report.waitingForDatabase)).toEqual([
        expect.objectContaining({ database }),
      ]);
      const text = await runCliProcess(['status'], { env });
      expect(text.stdout).toContain(`Scanner: waiting for database ${database}`);

      mkdirSync(path.dirname(database), { recursive: true });
      createPipelineWriter(database).close();
      await waitFor(
        () => output.includes('the scanner has started'),
        'the scanner to start',
        60_000,
      );
      await waitFor(
        () => output.includes('holds the lease'),
        'the scanner to take the lease',
        60_000,
      );
      const after = await runCliProcess(['status', '--json'], { env });
      expect((JSON.parse(after.stdout) as StatusReport).waitingForDatabase).toEqual({});

      scanner.kill('SIGTERM');
      expect(await exited).toBe(0);
    },
  );

  it(
    'exits with status 1 when the file it finds is not a SQLite database',
    { timeout: 120_000 },
    async () => {
      const database = path.join(ctx.dir, 'not-sqlite.db');
      writeFileSync(database, 'plain text, not a database\n'.repeat(10));
      const run = await runCliProcess(['scanner'], {
        env: {
          REDIS_URL: ctx.redisUrl,
          RUNWARDEN_PREFIX: ctx.prefix,
          RUNWARDEN_DATABASE: database,
        },
      });
      expect(run.code).toBe(1);
      expect(run.stderr + run.stdout).toContain('is not a SQLite database');
    },
  );
});
