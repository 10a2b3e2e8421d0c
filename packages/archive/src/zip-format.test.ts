import { randomFillSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '@runwarden/testing';
import { scanWorktree } from './scan-worktree.js';
import { ThreadPool } from './thread-pool.js';
import {
  centralHeaderLength,
  localHeader,
  SIG,
  writeCentralHeader,
  ZIP64_ENTRY_THRESHOLD,
  type CentralRecord,
} from './zip-format.js';
import { writeZip } from './zip-writer.js';

/** The extra fields of a header, by id. */
function extras(buf: Buffer, at: number, length: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let p = at; p < at + length;) {
    const id = buf.readUInt16LE(p);
    const size = buf.readUInt16LE(p + 2);
    out.set(id, buf.subarray(p + 4, p + 4 + size));
    p += 4 + size;
  }
  return out;
}

const NTFS_EPOCH = 11_644_473_600n;

describe('zip headers', () => {
  const base = {
    name: Buffer.from('f.bin'),
    method: 8,
    flags: 0,
    crc: 0x12345678,
    mtimeNsec: 123_456_789,
  };

  it.each([
    ['1960', -315_619_200, false, [1980, 1, 1]],
    ['2024', 1_709_287_200, true, undefined],
    ['2038-01-19T03:14:08Z', 2_147_483_648, false, undefined],
    ['2150', 5_680_281_600, false, [2107, 12, 31]],
  ] as const)(
    'writes a %s mtime as DOS time (clamped), extended timestamp only where exact, and NTFS to 100 ns',
    (_, sec, withUt, clamped) => {
      const h = localHeader({ ...base, mtimeSec: sec, compressedSize: 10, size: 20, zip64: false });
      const date = h.readUInt16LE(12);
      // DOS time is local time: in range, the day is the local one.
      const local = new Date(sec * 1000);
      const day = clamped ?? [local.getFullYear(), local.getMonth() + 1, local.getDate()];
      expect([(date >> 9) + 1980, (date >> 5) & 15, date & 31]).toEqual(day);
      const fields = extras(h, 30 + 5, h.readUInt16LE(28));
      expect(fields.has(0x5455)).toBe(withUt);
      if (withUt) expect(fields.get(0x5455)!.readInt32LE(1)).toBe(sec);
      const ntfs = fields.get(0x000a)!;
      expect(ntfs.readUInt16LE(4)).toBe(1);
      expect(ntfs.readBigUInt64LE(8)).toBe((BigInt(sec) + NTFS_EPOCH) * 10_000_000n + 1_234_567n);
      // NTFS comes last: readers that keep the last time field (Java) take the exact one.
      expect([...fields.keys()].at(-1)).toBe(0x000a);
    },
  );

  it('gives the central header a ZIP64 field with both sizes whenever the local header has one', () => {
    const size = ZIP64_ENTRY_THRESHOLD;
    const local = localHeader({
      ...base,
      mtimeSec: 0,
      compressedSize: size - 5,
      size,
      zip64: true,
    });
    expect(local.readUInt32LE(18)).toBe(0xffffffff);
    expect(local.readUInt32LE(22)).toBe(0xffffffff);
    const localZip64 = extras(local, 35, local.readUInt16LE(28)).get(0x0001)!;
    expect([localZip64.readBigUInt64LE(0), localZip64.readBigUInt64LE(8)]).toEqual([
      BigInt(size),
      BigInt(size - 5),
    ]);
    const record: CentralRecord = {
      ...base,
      compressedSize: size - 5,
      size,
      offset: 100,
      mode: 0o100644,
      mtimeSec: 0,
      isDirectory: false,
      zip64Local: true,
    };
    const central = Buffer.alloc(centralHeaderLength(record));
    expect(writeCentralHeader(central, 0, record)).toBe(central.length);
    expect(central.readUInt16LE(6)).toBe(45);
    expect(central.readUInt32LE(20)).toBe(0xffffffff);
    expect(central.readUInt32LE(24)).toBe(0xffffffff);
    expect(central.readUInt32LE(42)).toBe(100);
    const zip64 = extras(central, 46 + 5, central.readUInt16LE(30)).get(0x0001)!;
    expect(zip64).toHaveLength(16);
    expect([zip64.readBigUInt64LE(0), zip64.readBigUInt64LE(8)]).toEqual([
      BigInt(size),
      BigInt(size - 5),
    ]);
  });
});

describe('a written zip', () => {
  let ctx: TestContext;
  let pool: ThreadPool;
  beforeEach(() => {
    ctx = createTestContext('zip-format');
    pool = new ThreadPool({ threads: 2 });
    ctx.defer(() => pool.close());
  });
  afterEach(() => ctx.cleanup());

  it.each([6, 0])(
    'at level %i has no data descriptors: its local headers alone lead to the central directory',
    async (level) => {
      const src = path.join(ctx.dir, 'src');
      mkdirSync(src);
      writeFileSync(path.join(src, 'small.txt'), 'small\n'.repeat(100));
      writeFileSync(path.join(src, 'large.bin'), randomFillSync(Buffer.alloc(3_500_000)));
      writeFileSync(path.join(src, 'text.txt'), 'text\n'.repeat(700_000));
      const zipPath = path.join(ctx.dir, 'z.zip');
      await writeZip(zipPath, await scanWorktree(src), { level, pool });
      const zip = readFileSync(zipPath);
      let at = 0;
      let entries = 0;
      while (zip.readUInt32LE(at) === SIG.local) {
        expect(zip.readUInt16LE(at + 6) & 0x0008).toBe(0);
        at +=
          30 + zip.readUInt16LE(26 + at) + zip.readUInt16LE(28 + at) + zip.readUInt32LE(at + 18);
        entries += 1;
      }
      expect(entries).toBe(3);
      expect(zip.readUInt32LE(at)).toBe(SIG.central);
    },
  );
});
