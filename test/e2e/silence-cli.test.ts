import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, runCliProcess, type TestContext } from '@runwarden/testing';

let ctx: TestContext;
beforeEach(() => {
  ctx = createTestContext('silence-cli');
});
afterEach(() => ctx.cleanup());

describe('runwarden silence', () => {
  it('adds, lists and expires silences in Redis, and rejects a bad matcher with exit 2', async () => {
    const config = path.join(ctx.dir, 'runwarden.yaml');
    writeFileSync(config, JSON.stringify({ redis: { url: ctx.redisUrl, prefix: ctx.prefix } }));
    const cli = (...args: string[]) => runCliProcess([...args, '--config', config]);

    const added = await cli(
      'silence',
      'add',
      '--match',
      'pipeline=nightly-etl',
      '--match',
      'type=run_stalled',
      '--for',
      '2h',
      '--comment',
      'migration',
      '--author',
      'ops',
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const id = /^Silence ([0-9a-f-]{36}) added: /.exec(added.stdout)?.[1];
    expect(id).toBeDefined();
    expect(added.stdout).toContain('active   pipeline=nightly-etl, type=run_stalled  until ');
    expect(added.stdout).toContain('by ops: migration');

    const bad = await cli('silence', 'add', '--match', 'pipe=x', '--for', '1h');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('matcher "pipe=x": unknown field "pipe"');

    const expired = await cli('silence', 'expire', id!.slice(0, 8));
    expect(expired.code).toBe(0);
    expect(expired.stdout).toContain(`Silence ${id} expired: ${id}  expired  pipeline=nightly-etl`);

    const list = await cli('silence', 'list', '--expired', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([
      { id, state: 'expired', comment: 'migration', createdBy: 'ops' },
    ]);
  });
});
