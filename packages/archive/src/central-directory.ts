/**
 * Reads a zip's central directory: the end record (and its ZIP64 twin when
 * present), then every entry's name, method, CRC, sizes and local offset.
 */
import { open } from 'node:fs/promises';
import { RunwardenError } from '@runwarden/core';
import { SIG } from './zip-format.js';

export interface CentralEntry {
  name: Buffer;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  externalAttributes: number;
}

export interface CentralDirectory {
  entries: CentralEntry[];
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

/** Applies a ZIP64 extra field (0x0001) to the values the header marked 0xFFFFFFFF. */
function applyZip64(entry: CentralEntry, extra: Buffer): void {
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const len = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let p = at + 4;
      const take = () => ((p += 8), u64(extra, p - 8));
      if (entry.size === 0xffffffff) entry.size = take();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = take();
      if (entry.localOffset === 0xffffffff) entry.localOffset = take();
      return;
    }
    at += 4 + len;
  }
}

function parseEntries(path: string, cd: Buffer, count: number): CentralEntry[] {
  const entries: CentralEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i += 1) {
    if (at + 46 > cd.length || cd.readUInt32LE(at) !== SIG.central)
      throw bad(path, `central directory entry ${i} is damaged`);
    const nameLength = cd.readUInt16LE(at + 28);
    const extraLength = cd.readUInt16LE(at + 30);
    const commentLength = cd.readUInt16LE(at + 32);
    const entry: CentralEntry = {
      flags: cd.readUInt16LE(at + 8),
      method: cd.readUInt16LE(at + 10),
      crc: cd.readUInt32LE(at + 16),
      compressedSize: cd.readUInt32LE(at + 20),
      size: cd.readUInt32LE(at + 24),
      externalAttributes: cd.readUInt32LE(at + 38),
      localOffset: cd.readUInt32LE(at + 42),
      name: Buffer.from(cd.subarray(at + 46, at + 46 + nameLength)),
    };
    applyZip64(entry, cd.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
    entries.push(entry);
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
