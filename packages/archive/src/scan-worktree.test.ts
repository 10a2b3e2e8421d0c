import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '@runwarden/testing';

let ctx: TestContext;

beforeEach(() => {
  ctx = createTestContext('scan');
});
afterEach(() => ctx.cleanup());

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const scanner = new URL('./scan-worktree.ts', import.meta.url).href;

/**
 * Root reads every folder whatever its mode, so the scan runs in a child
 * process as `nobody` (uid 65534) when the tests run as root.
 */
function scanAsNobody(root: string): {
  names: string[];
  skipped: { path: string; reason: string }[];
} {
  const script = path.join(ctx.dir, 'scan.mts');
  writeFileSync(
    script,
    `import { scanWorktree } from ${JSON.stringify(scanner)};
const l = await scanWorktree(process.argv[2]);
console.log(JSON.stringify({ names: l.entries.entries().map((e) => String(e.name)), skipped: l.skipped }));`,
  );
  const asRoot = process.getuid?.() === 0;
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, root], {
    cwd: repo,
    encoding: 'utf8',
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  if (r.status !== 0) throw new Error(`scan failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('scanWorktree', () => {
  it('skips and lists a folder it cannot read or enter, and goes on with the rest', () => {
    chmodSync(ctx.dir, 0o755);
    const root = path.join(ctx.dir, 'wt');
    mkdirSync(path.join(root, 'ok'), { recursive: true });
    writeFileSync(path.join(root, 'ok', 'a.txt'), 'a');
    mkdirSync(path.join(root, 'locked'));
    writeFileSync(path.join(root, 'locked', 'secret.txt'), 's');
    mkdirSync(path.join(root, 'no-entry'));
    writeFileSync(path.join(root, 'no-entry', 'b.txt'), 'b');
    writeFileSync(path.join(root, 'z.txt'), 'z');
    chmodSync(path.join(root, 'locked'), 0o000);
    chmodSync(path.join(root, 'no-entry'), 0o644); // listable, not enterable
    ctx.defer(() => chmodSync(path.join(root, 'locked'), 0o755));
    ctx.defer(() => chmodSync(path.join(root, 'no-entry'), 0o755));
    const { names, skipped } = scanAsNobody(root);
    expect(names).toEqual(['z.txt', 'no-entry/', 'ok/', 'ok/a.txt']);
    expect(skipped).toEqual([
      {
        path: 'locked/',
        reason: 'unreadable (EACCES): the folder and its contents are not archived',
      },
      { path: 'no-entry/b.txt', reason: 'unreadable (EACCES)' },
    ]);
  });
});
