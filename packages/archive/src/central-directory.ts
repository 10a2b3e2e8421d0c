/**
 * Reads a zip's central directory: the end record (and its ZIP64 twin when
 * present), then every entry's name, method, CRC, sizes and local offset.
 */
import { open } from 'node:fs/promises';
import { RunwardenError } from '@runwarden/core';
import { SIG } from './zip-format.js';

/** One entry of a central directory, as an object (see `CentralEntries.entry`). */
export interface CentralEntry {
  name: Buffer;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/**
 * A central directory's entries as columns over its bytes: a zip of 100,000
 * entries is read into a few typed arrays, not 100,000 objects.
 */
export class CentralEntries {
  readonly method: Uint16Array;
  readonly crc: Uint32Array;
  readonly compressedSize: Float64Array;
  readonly size: Float64Array;
  readonly localOffset: Float64Array;
  private readonly nameAt: Float64Array;
  private readonly nameLength: Uint16Array;

  constructor(
    readonly count: number,
    private readonly cd: Buffer,
  ) {
    this.method = new Uint16Array(count);
    this.crc = new Uint32Array(count);
    this.compressedSize = new Float64Array(count);
    this.size = new Float64Array(count);
    this.localOffset = new Float64Array(count);
    this.nameAt = new Float64Array(count);
    this.nameLength = new Uint16Array(count);
  }

  setName(i: number, at: number, length: number): void {
    this.nameAt[i] = at;
    this.nameLength[i] = length;
  }

  /** Entry i's name bytes (a view of the directory). */
  nameBuffer(i: number): Buffer {
    return this.cd.subarray(this.nameAt[i], this.nameAt[i]! + this.nameLength[i]!);
  }

  name(i: number): string {
    return this.cd.toString('utf8', this.nameAt[i], this.nameAt[i]! + this.nameLength[i]!);
  }

  entry(i: number): CentralEntry {
    return {
      name: Buffer.from(this.nameBuffer(i)),
      method: this.method[i]!,
      crc: this.crc[i]!,
      compressedSize: this.compressedSize[i]!,
      size: this.size[i]!,
      localOffset: this.localOffset[i]!,
    };
  }
}

export interface CentralDirectory {
  entries: CentralEntries;
  /** Where the central directory starts: the end of the last entry's data. */
  offset: number;
  zipBytes: number;
}

function bad(path: string, what: string): RunwardenError {
  return new RunwardenError('ARCHIVE_VERIFY', `${path} is not a valid zip: ${what}`);
}

function u64(buf: Buffer, at: number): number {
  return Number(buf.readBigUInt64LE(at));
}

/** Applies a ZIP64 extra field (0x0001) to entry i's values that the header marked 0xFFFFFFFF. */
function applyZip64(entries: CentralEntries, i: number, extra: Buffer): void {
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const len = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let p = at + 4;
      const take = () => ((p += 8), u64(extra, p - 8));
      if (entries.size[i] === 0xffffffff) entries.size[i] = take();
      if (entries.compressedSize[i] === 0xffffffff) entries.compressedSize[i] = take();
      if (entries.localOffset[i] === 0xffffffff) entries.localOffset[i] = take();
      return;
    }
    at += 4 + len;
  }
}

function parseEntries(path: string, cd: Buffer, count: number): CentralEntries {
  // Every header takes at least 46 bytes: a count the directory cannot hold is damage, not a size to allocate for.
  if (count > cd.length / 46)
    throw bad(path, `the end record counts ${count} entries, more than the directory can hold`);
  const entries = new CentralEntries(count, cd);
  let at = 0;
  for (let i = 0; i < count; i += 1) {
    if (at + 46 > cd.length || cd.readUInt32LE(at) !== SIG.central)
      throw bad(path, `central directory entry ${i} is damaged`);
    const nameLength = cd.readUInt16LE(at + 28);
    const extraLength = cd.readUInt16LE(at + 30);
    const commentLength = cd.readUInt16LE(at + 32);
    entries.method[i] = cd.readUInt16LE(at + 10);
    entries.crc[i] = cd.readUInt32LE(at + 16);
    entries.compressedSize[i] = cd.readUInt32LE(at + 20);
    entries.size[i] = cd.readUInt32LE(at + 24);
    entries.localOffset[i] = cd.readUInt32LE(at + 42);
    entries.setName(i, at + 46, nameLength);
    if (at + 46 + nameLength + extraLength > cd.length)
      throw bad(path, `central directory entry ${i} is damaged`);
    applyZip64(entries, i, cd.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

export async function readCentralDirectory(path: string): Promise<CentralDirectory> {
  const fh = await open(path, 'r');
  try {
    const zipBytes = (await fh.stat()).size;
    const tailLength = Math.min(zipBytes, 22 + 0xffff + 20 + 56);
    const tail = Buffer.alloc(tailLength);
    await fh.read(tail, 0, tailLength, zipBytes - tailLength);
    let end = -1;
    for (let at = tailLength - 22; at >= 0; at -= 1) {
      if (tail.readUInt32LE(at) === SIG.end) {
        end = at;
        break;
      }
    }
    if (end < 0) throw bad(path, 'no end of central directory record');
    let count = tail.readUInt16LE(end + 10);
    let cdSize = tail.readUInt32LE(end + 12);
    let cdOffset = tail.readUInt32LE(end + 16);
    if (end >= 20 && tail.readUInt32LE(end - 20) === SIG.zip64Locator) {
      const recordAt = u64(tail, end - 12);
      const record = Buffer.alloc(56);
      await fh.read(record, 0, 56, recordAt);
      if (record.readUInt32LE(0) !== SIG.zip64End)
        throw bad(path, 'the ZIP64 end record is missing');
      count = u64(record, 32);
      cdSize = u64(record, 40);
      cdOffset = u64(record, 48);
    }
    if (cdOffset + cdSize > zipBytes)
      throw bad(path, 'the central directory runs past the end of the file');
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, cdOffset);
    return { entries: parseEntries(path, cd, count), offset: cdOffset, zipBytes };
  } finally {
    await fh.close();
  }
}
