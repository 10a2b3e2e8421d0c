/**
 * Two `runwarden start` on one database, each with its own Redis: the second
 * refuses to scan (and so to start), naming both Redis servers; the first
 * keeps its lease. Real processes, two real redis-servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTestContext,
  runCliProcess,
  startRedisServer,
  type TestContext,
  waitFor,
} from '@runwarden/testing';
import { startRole, testConfigYaml, writeConfigFiles } from '../support/processes.js';
import { createPipelineWriter } from '@runwarden/store';
import path from 'node:path';

let ctx: TestContext;
afterEach(() => ctx?.cleanup());

describe('two runwardens on one database', () => {
  it('the one on a different Redis refuses to scan, naming both', async () => {
    ctx = createTestContext('two-systems');
    const [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    ctx.defer(() => Promise.all([a.stop(), b.stop()]));
    createPipelineWriter(path.join(ctx.dir, 'orchestration.db')).close();
    const files = writeConfigFiles(
      ctx,
      testConfigYaml(ctx),
      'channels: { console: {} }\nrules: []\n',
    );

    const first = startRole(ctx, 'first', ['start', '--no-board'], files, { REDIS_URL: a.url });
    await waitFor(
      () => /holds the lease/.test(first.output()),
      'the first scanner to scan',
      60_000,
    );

    const second = await runCliProcess(['--config', files.config, 'start', '--no-board'], {
      cwd: ctx.dir,
      env: { REDIS_URL: b.url, LOG_LEVEL: 'info' },
    });
    expect(second.code, second.stderr).not.toBe(0);
    expect(second.stderr).toMatch(
      new RegExp(
        `scans .*orchestration\\.db through another Redis \\(redis://127\\.0\\.0\\.1:${a.port} .*this scanner uses redis://127\\.0\\.0\\.1:${b.port}.*does not scan`,
      ),
    );
    expect(second.stderr).not.toMatch(/holds the lease and scans/);
    expect(first.child.exitCode, 'the first runs on').toBeNull();
    expect(first.output()).not.toMatch(/standby|lease was taken/);
  });
});
