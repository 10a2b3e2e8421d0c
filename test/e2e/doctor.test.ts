import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsConfigSchema, type LoadedConfig } from '@runwarden/core';
import { PIPELINE_SCHEMA_SQL } from '@runwarden/store';
import {
  createTestContext,
  freePort,
  runCliProcess,
  type TestContext,
  waitFor,
} from '@runwarden/testing';
import { startTestSystem, testConfig, CONSOLE_RULES } from '../support/system.js';
import { parseInfo, redisInfoChecks, runDoctor, type DoctorCheck } from '@runwarden/cli';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('doctor');
});
afterEach(() => ctx.cleanup());

const BOARD = { user: 'admin', password: 'secret' };

function loaded(
  overrides: Record<string, unknown> = {},
  alerts: unknown = CONSOLE_RULES,
): LoadedConfig {
  const config = testConfig(ctx, { board: BOARD, ...overrides });
  for (const dir of Object.values(config.paths)) mkdirSync(dir, { recursive: true });
  return {
    file: path.join(ctx.dir, 'runwarden.yaml'),
    config,
    alertsFile: '',
    alerts: alertsConfigSchema.parse(alerts),
  };
}

const failing = (checks: DoctorCheck[]) =>
  checks.filter((c) => c.status === 'fail').map((c) => `${c.group}/${c.name}`);

function writeConfigFiles(l: LoadedConfig): string {
  const alertsFile = path.join(ctx.dir, 'alerts.yaml');
  writeFileSync(alertsFile, JSON.stringify(CONSOLE_RULES));
  writeFileSync(
    l.file,
    JSON.stringify({
      database: l.config.database,
      redis: l.config.redis,
      paths: l.config.paths,
      scanner: { pollInterval: '200ms' },
      board: { ...BOARD, host: l.config.board.host },
      alerts: alertsFile,
    }),
  );
  return l.file;
}

describe('runwarden doctor', () => {
  it('passes a healthy deployment with exit 0, and prints JSON', async () => {
    await startTestSystem(ctx, { roles: ['scanner'], config: { board: BOARD } });
    const l = loaded();
    await waitFor(async () => failing(await runDoctor(l)).length === 0, 'a scan and the lease');
    const res = await runCliProcess(['doctor', '--json', '--config', writeConfigFiles(l)]);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { ok: boolean; checks: DoctorCheck[] };
    expect(out.ok).toBe(true);
    expect(out.checks.map((c) => `${c.group}/${c.name}`)).toEqual(
      expect.arrayContaining([
        'database/indexes',
        'redis/maxmemory-policy',
        'leases/scanner lease',
        'folders/archive writable',
        'channels/console configured',
        'board/bind address',
      ]),
    );
  });

  it('fails with exit 1 and a fix for each broken piece', async () => {
    // No scanner ever ran: no runwarden tables, no lease; a folder is missing; the board is open to the
    // network without credentials; the pipeline's clock is an hour ahead.
    const l = loaded({ board: { host: '0.0.0.0' } });
    new Database(l.config.database).exec(PIPELINE_SCHEMA_SQL);
    const db = new Database(l.config.database);
    db.prepare(
      "INSERT INTO runs (run_id, state, created_at, updated_at) VALUES ('r1', 'running', ?, ?)",
    ).run(
      new Date(Date.now() + 3_600_000).toISOString(),
      new Date(Date.now() + 3_600_000).toISOString(),
    );
    db.close();
    l.config.paths.reports = path.join(ctx.dir, 'no-such-folder');
    const checks = await runDoctor(l);
    expect(failing(checks)).toEqual([
      'database/runwarden tables',
      'database/clock skew',
      'leases/scanner lease',
      'folders/reports exists',
      'board/bind address',
    ]);
    expect(checks.find((c) => c.name === 'journal mode')).toMatchObject({ status: 'warn' });
    for (const c of checks.filter((x) => x.status !== 'ok')) expect(c.fix).toBeTruthy();

    const res = await runCliProcess([
      'doctor',
      '--config',
      writeConfigFiles({
        ...l,
        config: { ...l.config, board: { ...l.config.board, host: '0.0.0.0' } },
      }),
    ]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(
      '✘ scanner lease: no scanner holds the lease: nothing is detected',
    );
    expect(res.stdout).toContain('fix: start one: `runwarden scanner` (or `runwarden start`)');
    expect(res.stdout).toMatch(
      /\d+ check\(s\) failed, \d+ warning\(s\): fix the failures above\.$/m,
    );
  });

  it('fails on a missing database, an unreachable Redis, an unwritable folder and an unreachable channel', async () => {
    const port = await freePort();
    const l = loaded(
      {
        database: path.join(ctx.dir, 'missing.db'),
        redis: { url: `redis://127.0.0.1:${port}`, prefix: ctx.prefix },
      },
      {
        channels: { webhook: { url: `http://127.0.0.1:${port}/hook` } },
        rules: [{ name: 'all', match: {}, severity: 'low', channels: ['webhook'] }],
      },
    );
    // A file where a folder should be: writing into it fails, even as root.
    writeFileSync(path.join(ctx.dir, 'file'), '');
    l.config.paths.archive = path.join(ctx.dir, 'file');
    const checks = await runDoctor(l);
    expect(failing(checks)).toEqual([
      'database/exists',
      'redis/reachable',
      'folders/archive exists',
      'channels/webhook reachable',
    ]);
  });

  it('flags eviction, an old Redis and a cluster prefix without a hash tag', () => {
    const info = parseInfo(
      '# Server\r\nredis_version:5.0.7\r\nmaxmemory_policy:allkeys-lru\r\naof_enabled:0\r\ncluster_enabled:1\r\n',
    );
    expect(redisInfoChecks(info, 'runwarden').map((c) => [c.name, c.status])).toEqual([
      ['version', 'fail'],
      ['maxmemory-policy', 'fail'],
      ['persistence', 'warn'],
      ['cluster prefix', 'fail'],
    ]);
    expect(redisInfoChecks(info, '{runwarden}').at(-1)).toMatchObject({ status: 'ok' });
  });
});
