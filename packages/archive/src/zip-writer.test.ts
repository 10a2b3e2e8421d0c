import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext, unzipTest } from '@runwarden/testing';
import { crc32Combine } from './crc32-combine.js';
import { EntryTable, scanWorktree } from './scan-worktree.js';
import { ThreadPool } from './thread-pool.js';
import { verifyZip } from './verify-zip.js';
import { writeZip } from './zip-writer.js';

let ctx: TestContext;
let pool: ThreadPool;
let src: string;

beforeEach(() => {
  ctx = createTestContext('zip');
  pool = new ThreadPool({ threads: 2 });
  ctx.defer(() => pool.close());
  src = path.join(ctx.dir, 'src');
  mkdirSync(path.join(src, 'sub'), { recursive: true });
  writeFileSync(path.join(src, 'a.txt'), 'alpha\n'.repeat(1000));
  writeFileSync(path.join(src, 'sub', 'b.bin'), randomFillSync(Buffer.alloc(2_500_000)));
  writeFileSync(path.join(src, 'sub', 'c.txt'), 'gamma\n'.repeat(400_000));
});
afterEach(() => ctx.cleanup());

async function zipOf(name: string, options: { forceZip64?: boolean } = {}) {
  const listing = await scanWorktree(src);
  const zipPath = path.join(ctx.dir, name);
  const result = await writeZip(zipPath, listing, { level: 6, pool, ...options });
  return { zipPath, result };
}

describe('crc32Combine', () => {
  it('gives the CRC-32 of the concatenation', () => {
    const a = randomFillSync(Buffer.alloc(70_001));
    const b = randomFillSync(Buffer.alloc(1_048_576));
    expect(crc32Combine(zlib.crc32(a), zlib.crc32(b), b.length)).toBe(
      zlib.crc32(Buffer.concat([a, b])),
    );
    expect(crc32Combine(zlib.crc32(a), 0, 0)).toBe(zlib.crc32(a));
  });
});

describe('writeZip and verifyZip', () => {
  it('verifies what it wrote, against the source listing, in agreement with unzip', async () => {
    const { zipPath, result } = await zipOf('ok.zip');
    await expect(verifyZip(zipPath, result.written, { pool })).resolves.toMatchObject({
      entries: 4,
      bytes: 6000 + 2_500_000 + 2_400_000,
    });
    expect(unzipTest(zipPath).status).toBe(0);
  });

  it('writes ZIP64 end records that unzip and the verifier read', async () => {
    const { zipPath, result } = await zipOf('z64.zip', { forceZip64: true });
    expect(readFileSync(zipPath).includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true);
    expect(unzipTest(zipPath).status).toBe(0);
    await expect(verifyZip(zipPath, result.written, { pool })).resolves.toMatchObject({
      entries: 4,
    });
  });

  it('detects damaged data', async () => {
    const { zipPath, result } = await zipOf('bad.zip');
    const bytes = readFileSync(zipPath);
    const at = bytes.indexOf('sub/c.txt') + 200;
    bytes[at] = bytes[at]! ^ 0x55;
    writeFileSync(zipPath, bytes);
    await expect(verifyZip(zipPath, result.written, { pool })).rejects.toMatchObject({
      code: 'ARCHIVE_VERIFY',
      message: expect.stringContaining('sub/c.txt'),
    });
    expect(unzipTest(zipPath).status).not.toBe(0);
  });

  it('detects a zip that does not hold what the source has', async () => {
    const { zipPath, result } = await zipOf('short.zip');
    const expected = [...result.written.toArray(), { name: 'sub/missing.txt', size: 3 }];
    await expect(verifyZip(zipPath, expected, { pool })).rejects.toMatchObject({
      message: expect.stringContaining('sub/missing.txt is missing'),
    });
    const wrongSize = result.written
      .toArray()
      .map((e) => (e.name === 'a.txt' ? { ...e, size: e.size + 1 } : e));
    await expect(verifyZip(zipPath, wrongSize, { pool })).rejects.toMatchObject({
      message: expect.stringContaining('a.txt has 6000 bytes in the zip, 6001'),
    });
  });

  it('matches entries by name when the expected list is in another order', async () => {
    const { zipPath, result } = await zipOf('order.zip');
    const reversed = result.written.toArray().reverse();
    await expect(verifyZip(zipPath, reversed, { pool })).resolves.toMatchObject({ entries: 4 });
    const renamed = reversed.map((e) => (e.name === 'a.txt' ? { ...e, name: 'z.txt' } : e));
    await expect(verifyZip(zipPath, renamed, { pool })).rejects.toMatchObject({
      message: expect.stringMatching(
        /z\.txt is missing.*a\.txt is in the zip but not in the source/,
      ),
    });
  });

  it('reports an entry count the central directory cannot hold as damage', async () => {
    const { zipPath } = await zipOf('count.zip');
    const bytes = readFileSync(zipPath);
    const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    bytes.writeUInt16LE(60_000, end + 8);
    bytes.writeUInt16LE(60_000, end + 10);
    writeFileSync(zipPath, bytes);
    await expect(verifyZip(zipPath, undefined, { pool })).rejects.toMatchObject({
      code: 'ARCHIVE_VERIFY',
      message: expect.stringContaining('counts 60000 entries, more than the directory can hold'),
    });
  });

  it('rejects a file that is not a zip', async () => {
    writeFileSync(path.join(ctx.dir, 'not.zip'), 'hello');
    await expect(
      verifyZip(path.join(ctx.dir, 'not.zip'), undefined, { pool }),
    ).rejects.toMatchObject({ code: 'ARCHIVE_VERIFY' });
  });

  // Tests run as root, which reads any file whatever its mode, so "unreadable"
  // is a file that is gone (or no longer a regular file) by the time it is read.
  it('leaves out and lists files that cannot be read, small or large', async () => {
    const listing = await scanWorktree(src);
    rmSync(path.join(src, 'a.txt'));
    rmSync(path.join(src, 'sub', 'b.bin'));
    mkdirSync(path.join(src, 'sub', 'b.bin'));
    const zipPath = path.join(ctx.dir, 'partial.zip');
    const result = await writeZip(zipPath, listing, { level: 6, pool });
    expect(result.skipped.map((s) => s.path).sort()).toEqual(['a.txt', 'sub/b.bin']);
    expect(result.skipped[0]!.reason).toMatch(/unreadable/);
    expect(unzipTest(zipPath).status).toBe(0);
    await expect(verifyZip(zipPath, result.written, { pool })).resolves.toMatchObject({
      entries: 2,
    });
  });

  it.skipIf(process.getuid?.() === 0)(
    'leaves out a file without read permission (non-root only)',
    async () => {
      chmodSync(path.join(src, 'a.txt'), 0o000);
      const { result } = await zipOf('perm.zip');
      expect(result.skipped).toEqual([
        expect.objectContaining({ path: 'a.txt', reason: expect.stringContaining('EACCES') }),
      ]);
    },
  );

  it('archives a large file that shrank after the scan as it now is, read again', async () => {
    const listing = await scanWorktree(src);
    writeFileSync(path.join(src, 'sub', 'c.txt'), 'gamma\n'.repeat(300_000));
    const zipPath = path.join(ctx.dir, 'shrunk.zip');
    const result = await writeZip(zipPath, listing, { level: 6, pool });
    expect(result.warnings).toEqual([]);
    expect(result.written.toArray().find((e) => e.name === 'sub/c.txt')?.size).toBe(1_800_000);
    expect(unzipTest(zipPath).status).toBe(0);
    await expect(verifyZip(zipPath, result.written, { pool })).resolves.toMatchObject({
      bytes: 6000 + 2_500_000 + 1_800_000,
    });
  });

  it('archives files that grew after the scan whole, read again, with no warning', async () => {
    const listing = await scanWorktree(src);
    writeFileSync(path.join(src, 'a.txt'), 'alpha\n'.repeat(2000));
    writeFileSync(path.join(src, 'sub', 'c.txt'), 'gamma\n'.repeat(500_000));
    const zipPath = path.join(ctx.dir, 'grown.zip');
    const result = await writeZip(zipPath, listing, { level: 6, pool });
    expect(result.warnings).toEqual([]);
    const sizes = Object.fromEntries(result.written.toArray().map((e) => [e.name, e.size]));
    expect(sizes).toMatchObject({ 'a.txt': 12_000, 'sub/c.txt': 3_000_000 });
    expect(unzipTest(zipPath).status).toBe(0);
    await verifyZip(zipPath, result.written, { pool });
  });

  it('says a CRC-32 mismatch is the source changing when it did', async () => {
    const zipPath = path.join(ctx.dir, 'changed-crc.zip');
    const result = await writeZip(zipPath, await scanWorktree(src), { level: 0, pool });
    const bytes = readFileSync(zipPath);
    const at = bytes.indexOf('sub/c.txt') + 200;
    bytes[at] = bytes[at]! ^ 0x55;
    writeFileSync(zipPath, bytes);
    const expected = result.written
      .toArray()
      .map((e) => (e.name === 'sub/c.txt' ? { ...e, changed: true } : e));
    await expect(verifyZip(zipPath, expected, { pool })).rejects.toMatchObject({
      message: expect.stringContaining(
        'sub/c.txt: CRC-32 mismatch; its source changed while it was archived',
      ),
    });
  });

  it('clamps a time no zip field can hold, and lists it', async () => {
    const entries = new EntryTable();
    const times = { mode: 0o40755, size: 0, kind: 'dir' as const, mtimeNsec: 0 };
    entries.add({ name: 'medieval/', mtimeSec: -15_000_000_000, ...times }); // 1494
    entries.add({ name: 'fine/', mtimeSec: 1_709_287_200, ...times });
    const listing = { root: src, entries, skipped: [], bytes: 0, files: 0 };
    const zipPath = path.join(ctx.dir, 'clamped.zip');
    const result = await writeZip(zipPath, listing, { level: 6, pool });
    expect(result.warnings).toEqual([
      {
        path: 'medieval/',
        warning: expect.stringMatching(
          /outside what a zip holds \(1601 to 30828\): stored clamped/,
        ),
      },
    ]);
    expect(unzipTest(zipPath).status).toBe(0);
  });

  describe('a file written to all the time while it is archived', () => {
    /** A process rewriting one byte of `file` in place every millisecond until killed. */
    function keepWriting(file: string) {
      const code = `const fs=require('fs');const fd=fs.openSync(process.argv[1],'r+');const s=new Int32Array(new SharedArrayBuffer(4));let i=0;for(;;){fs.writeSync(fd,Buffer.from([i++&255]),0,1,(i*7919)%1000000);Atomics.wait(s,0,0,1);}`;
      const child = spawn(process.execPath, ['-e', code, file], { stdio: 'ignore' });
      ctx.defer(() => child.kill('SIGKILL'));
      return child;
    }

    it('is archived as last read and listed as changed while archiving', async () => {
      writeFileSync(path.join(src, 'busy.bin'), randomFillSync(Buffer.alloc(12 * 1024 * 1024)));
      const listing = await scanWorktree(src);
      keepWriting(path.join(src, 'busy.bin'));
      const zipPath = path.join(ctx.dir, 'busy.zip');
      const result = await writeZip(zipPath, listing, { level: 1, pool });
      expect(result.warnings).toEqual([
        { path: 'busy.bin', warning: expect.stringMatching(/^changed while archiving/) },
      ]);
      expect(unzipTest(zipPath).status).toBe(0);
      await expect(verifyZip(zipPath, result.written, { pool })).resolves.toMatchObject({
        entries: 5,
      });
    });

    it('fails the archive with onChangedFile "fail"', async () => {
      writeFileSync(path.join(src, 'busy.bin'), randomFillSync(Buffer.alloc(12 * 1024 * 1024)));
      const listing = await scanWorktree(src);
      keepWriting(path.join(src, 'busy.bin'));
      await expect(
        writeZip(path.join(ctx.dir, 'busy.zip'), listing, {
          level: 1,
          pool,
          onChangedFile: 'fail',
        }),
      ).rejects.toMatchObject({
        code: 'ARCHIVE_SOURCE_CHANGED',
        message: expect.stringMatching(/^busy\.bin changed while it was archived/),
      });
    });
  });
});
