import { randomFillSync } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  compareExtraction,
  createTestContext,
  type TestContext,
  unzipTest,
} from '@runwarden/testing';
import { archiveRun } from './archive-run.js';
import { ThreadPool } from './thread-pool.js';

let ctx: TestContext;
let pool: ThreadPool;
let worktrees: string;
let archives: string;

beforeEach(() => {
  ctx = createTestContext('archive');
  pool = new ThreadPool({ threads: 2 });
  ctx.defer(() => pool.close());
  worktrees = path.join(ctx.dir, 'worktrees');
  archives = path.join(ctx.dir, 'archive');
  mkdirSync(worktrees);
});
afterEach(() => ctx.cleanup());

function run(runId: string, extra: Partial<Parameters<typeof archiveRun>[0]> = {}) {
  return archiveRun({
    runId,
    worktreesDir: worktrees,
    archiveDir: archives,
    compressionLevel: 6,
    diskSpaceFactor: 1.5,
    pool,
    ...extra,
  });
}

/** Text and random data: the mix a run leaves behind. */
function mixed(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let at = 0; at < bytes; at += 64 * 1024) {
    const piece = out.subarray(at, at + 64 * 1024);
    if ((at / (64 * 1024)) % 2 === 0) randomFillSync(piece);
    else piece.write(`epoch ${at} loss=0.123 accuracy=0.987\n`.repeat(2000));
  }
  return out;
}

function makeRun(runId: string): string {
  const root = path.join(worktrees, runId);
  mkdirSync(path.join(root, 'logs', 'deep', 'er'), { recursive: true });
  mkdirSync(path.join(root, 'empty-dir'));
  writeFileSync(path.join(root, 'logs', 'train.log'), 'step 1 loss 0.5\n'.repeat(5000));
  writeFileSync(path.join(root, 'logs', 'deep', 'er', 'tiny.txt'), 'x');
  writeFileSync(path.join(root, 'empty.txt'), '');
  writeFileSync(path.join(root, 'résumé ✓.txt'), 'unicode name\n');
  writeFileSync(path.join(root, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(path.join(root, 'run.sh'), 0o750);
  writeFileSync(path.join(root, 'model.bin'), mixed(3 * 1024 * 1024 + 12345));
  writeFileSync(path.join(root, 'random.bin'), randomFillSync(Buffer.alloc(200_000)));
  symlinkSync('logs/train.log', path.join(root, 'latest.log'));
  utimesSync(
    path.join(root, 'logs', 'train.log'),
    new Date('2024-03-01T10:00:00Z'),
    new Date('2024-03-01T10:00:00Z'),
  );
  return root;
}

describe('archiveRun', () => {
  it('writes a verified zip that unzip accepts and that matches the source file by file', async () => {
    const root = makeRun('run-1');
    const outcome = await run('run-1');
    expect(outcome).toMatchObject({
      status: 'archived',
      verified: true,
      reused: false,
      path: path.join(archives, 'run-1.zip'),
      skippedFiles: [],
    });
    expect(outcome.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(outcome.entries).toBe(12);
    expect(unzipTest(outcome.path!)).toMatchObject({ status: 0 });
    expect(compareExtraction(outcome.path!, root, path.join(ctx.dir, 'out'))).toEqual([]);
    expect(readdirSync(archives).sort()).toEqual(['run-1.zip', 'run-1.zip.json']);
    expect(JSON.parse(readFileSync(path.join(archives, 'run-1.zip.json'), 'utf8'))).toMatchObject({
      sha256: outcome.sha256,
      bytes: outcome.bytes,
    });
  });

  it('stores without compression at level 0 and still verifies', async () => {
    const root = makeRun('run-store');
    const outcome = await run('run-store', { compressionLevel: 0 });
    expect(outcome.bytes).toBeGreaterThan(outcome.sourceBytes!);
    expect(unzipTest(outcome.path!)).toMatchObject({ status: 0 });
    expect(compareExtraction(outcome.path!, root, path.join(ctx.dir, 'out'))).toEqual([]);
  });

  it('reports progress up to the total', async () => {
    makeRun('run-progress');
    const seen: [number, number][] = [];
    await run('run-progress', { onProgress: (done, total) => seen.push([done, total]) });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)![0]).toBe(seen.at(-1)![1]);
  });

  it('reuses a verified archive instead of rebuilding it', async () => {
    makeRun('run-again');
    const first = await run('run-again');
    const mtime = statSync(first.path!).mtimeMs;
    const second = await run('run-again');
    expect(second).toMatchObject({
      status: 'archived',
      reused: true,
      sha256: first.sha256,
      entries: first.entries,
    });
    expect(statSync(first.path!).mtimeMs).toBe(mtime);
  });

  it('rebuilds an archive that no longer matches its manifest', async () => {
    makeRun('run-damaged');
    const first = await run('run-damaged');
    const bytes = readFileSync(first.path!);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(first.path!, bytes);
    const second = await run('run-damaged');
    expect(second).toMatchObject({ reused: false, sha256: first.sha256 });
  });

  it('removes temp files left by an attempt that was killed', async () => {
    makeRun('run-stale');
    mkdirSync(archives, { recursive: true });
    writeFileSync(path.join(archives, '.run-stale.zip.tmp-999-abc'), 'half a zip');
    writeFileSync(path.join(archives, '.run-stale.zip.json.tmp-999-abc'), 'half a manifest');
    writeFileSync(path.join(archives, '.run-stale.zip.zip.tmp-1'), 'belongs to another run');
    // Run `run-stale.zip.tmp-foo`'s temp file starts with run `run-stale`'s prefix.
    writeFileSync(path.join(archives, '.run-stale.zip.tmp-foo.zip.tmp-1-abc'), 'another run');
    await run('run-stale');
    expect(readdirSync(archives).sort()).toEqual([
      '.run-stale.zip.tmp-foo.zip.tmp-1-abc',
      '.run-stale.zip.zip.tmp-1',
      'run-stale.zip',
      'run-stale.zip.json',
    ]);
  });

  it('fails for lack of space, with the figures, and writes nothing', async () => {
    makeRun('run-big');
    await expect(run('run-big', { diskSpaceFactor: 1e9 })).rejects.toMatchObject({
      code: 'DISK_SPACE',
      message: expect.stringMatching(/not enough free space.*run-big.*nothing was written/),
    });
    expect(readdirSync(archives)).toEqual([]);
  });

  it('returns skipped when the run has no worktree', async () => {
    await expect(run('run-gone')).resolves.toMatchObject({
      status: 'skipped',
      reason: 'no worktree',
    });
    expect(readdirSync(archives)).toEqual([]);
  });

  it.each(['../escape', '', 'a/b', '/etc', 'nul\0byte', '..'])(
    'rejects the unsafe run id %j before touching any file',
    async (runId) => {
      await expect(run(runId)).rejects.toMatchObject({ code: 'UNSAFE_RUN_ID' });
      expect(existsSync(archives)).toBe(false);
    },
  );

  it('archives an empty folder as an empty zip', async () => {
    mkdirSync(path.join(worktrees, 'run-empty'));
    const outcome = await run('run-empty');
    expect(outcome).toMatchObject({
      status: 'archived',
      entries: 0,
      sourceBytes: 0,
      verified: true,
    });
    // Info-ZIP warns (status 1) on a zip with no entries, and says why.
    expect(unzipTest(outcome.path!).output).toMatch(/zipfile is empty/);
  });

  it('never follows symlinks out of the worktree: they are skipped and listed', async () => {
    const root = makeRun('run-links');
    writeFileSync(path.join(ctx.dir, 'secret.txt'), 'outside');
    symlinkSync(path.join(ctx.dir, 'secret.txt'), path.join(root, 'abs-escape'));
    symlinkSync('../../secret.txt', path.join(root, 'rel-escape'));
    symlinkSync('/etc', path.join(root, 'logs', 'etc'));
    symlinkSync('rel-escape', path.join(root, 'chained'));
    const outcome = await run('run-links');
    expect(outcome.skippedFiles!.map((s) => s.path).sort()).toEqual([
      'abs-escape',
      'chained',
      'logs/etc',
      'rel-escape',
    ]);
    expect(outcome.skippedFiles![0]!.reason).toMatch(/points outside the worktree/);
    expect(unzipTest(outcome.path!)).toMatchObject({ status: 0 });
    expect(
      compareExtraction(outcome.path!, root, path.join(ctx.dir, 'out'), [
        'abs-escape',
        'rel-escape',
        'logs/etc',
        'chained',
      ]),
    ).toEqual([]);
    expect(readFileSync(outcome.path!).includes('outside')).toBe(false);
  });

  it('skips and lists special files', async () => {
    const root = makeRun('run-fifo');
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    const outcome = await run('run-fifo');
    expect(outcome.skippedFiles).toEqual([{ path: 'pipe', reason: 'a FIFO is not archived' }]);
    expect(compareExtraction(outcome.path!, root, path.join(ctx.dir, 'out'), ['pipe'])).toEqual([]);
  });

  it('fails with ARCHIVE_SOURCE_CHANGED, leaving nothing behind, when a file keeps changing and onChangedFile is fail', async () => {
    const root = makeRun('run-busy');
    const busy = path.join(root, 'busy.bin');
    writeFileSync(busy, randomFillSync(Buffer.alloc(12 * 1024 * 1024)));
    // Rewrites one byte in place every millisecond until killed.
    const code = `const fs=require('fs');const fd=fs.openSync(process.argv[1],'r+');const s=new Int32Array(new SharedArrayBuffer(4));for(let i=0;;i++){fs.writeSync(fd,Buffer.from([i&255]),0,1,(i*7919)%1000000);Atomics.wait(s,0,0,1);}`;
    const writer = spawn(process.execPath, ['-e', code, busy], { stdio: 'ignore' });
    ctx.defer(() => writer.kill('SIGKILL'));
    await expect(run('run-busy', { onChangedFile: 'fail' })).rejects.toMatchObject({
      code: 'ARCHIVE_SOURCE_CHANGED',
    });
    expect(readdirSync(archives)).toEqual([]);
    const listed = await run('run-busy', { compressionLevel: 1 });
    expect(listed.warnings).toEqual([
      { path: 'busy.bin', warning: expect.stringMatching(/^changed while archiving/) },
    ]);
    expect(JSON.parse(readFileSync(`${listed.path!}.json`, 'utf8')).warnings).toEqual(
      listed.warnings,
    );
  });

  it('removes the worktree after a verified archive when asked', async () => {
    makeRun('run-remove');
    const outcome = await run('run-remove', { removeWorktree: true });
    expect(outcome.status).toBe('archived');
    expect(existsSync(path.join(worktrees, 'run-remove'))).toBe(false);
    await expect(run('run-remove')).resolves.toMatchObject({ reused: true });
  });

  it('archives a few thousand files in many folders', async () => {
    const root = path.join(worktrees, 'run-many');
    for (let i = 0; i < 3000; i += 1) {
      const dir = path.join(root, `d${i % 30}`);
      if (i < 30) mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `f${i}.txt`), `file ${i}\n`.repeat(i % 50));
    }
    const outcome = await run('run-many');
    expect(outcome.entries).toBe(3030);
    expect(unzipTest(outcome.path!)).toMatchObject({ status: 0 });
    expect(compareExtraction(outcome.path!, root, path.join(ctx.dir, 'out'))).toEqual([]);
  });
});
