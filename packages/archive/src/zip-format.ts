/**
 * The byte layout of a zip file (PKWARE APPNOTE 6.3), as far as runwarden
 * writes and reads it:
 *
 *   [local header + data (+ data descriptor)] × n   central directory   [zip64 end + locator]   end record
 *
 * Unix mode bits go in the external attributes (made by 3 = Unix), mtimes as
 * DOS time (local time, 2 s resolution) plus the extended-timestamp field
 * (0x5455, UTC seconds) that Info-ZIP restores. ZIP64 is used per entry when a
 * size could pass 4 GiB, and for the end records when counts or offsets do.
 */
export const SIG = {
  local: 0x04034b50,
  central: 0x02014b50,
  descriptor: 0x08074b50,
  end: 0x06054b50,
  zip64End: 0x06064b50,
  zip64Locator: 0x07064b50,
} as const;

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;
export const FLAG_DESCRIPTOR = 0x0008;
export const FLAG_UTF8 = 0x0800;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Deflate can grow incompressible data by ~0.03 %: leave room before 4 GiB. */
export const ZIP64_ENTRY_THRESHOLD = MAX32 - 64 * 1024 * 1024;

/** What the central directory needs to know about one written entry. */
export interface CentralRecord {
  /** The entry's path in the zip, UTF-8. */
  name: Uint8Array;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  /** Full st_mode (type and permission bits). */
  mode: number;
  mtimeMs: number;
  isDirectory: boolean;
  zip64Local: boolean;
}

export function dosDateTime(mtimeMs: number): { date: number; time: number } {
  const d = new Date(mtimeMs);
  const year = d.getFullYear();
  if (year < 1980) return { date: (1 << 5) | 1, time: 0 };
  return {
    date: ((Math.min(year, 2107) - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
  };
}

function unixSeconds(mtimeMs: number): number {
  return Math.max(0, Math.min(MAX32, Math.floor(mtimeMs / 1000)));
}

/** Extended timestamp, mtime only (same 9 bytes in local and central headers). */
function extendedTimestamp(mtimeMs: number): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt16LE(0x5455, 0);
  b.writeUInt16LE(5, 2);
  b.writeUInt8(1, 4);
  b.writeUInt32LE(unixSeconds(mtimeMs), 5);
  return b;
}

function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

export interface LocalHeaderFields {
  name: Buffer;
  method: number;
  flags: number;
  mtimeMs: number;
  /** With FLAG_DESCRIPTOR these are written as zero and follow the data. */
  crc: number;
  compressedSize: number;
  size: number;
  zip64: boolean;
}

export function localHeader(f: LocalHeaderFields): Buffer {
  const { date, time } = dosDateTime(f.mtimeMs);
  const deferred = (f.flags & FLAG_DESCRIPTOR) !== 0;
  const extras = [extendedTimestamp(f.mtimeMs)];
  if (f.zip64) extras.unshift(zip64Extra(deferred ? [0, 0] : [f.size, f.compressedSize]));
  const extra = Buffer.concat(extras);
  const b = Buffer.alloc(30);
  b.writeUInt32LE(SIG.local, 0);
  b.writeUInt16LE(f.zip64 ? 45 : 20, 4);
  b.writeUInt16LE(f.flags, 6);
  b.writeUInt16LE(f.method, 8);
  b.writeUInt16LE(time, 10);
  b.writeUInt16LE(date, 12);
  b.writeUInt32LE(deferred ? 0 : f.crc >>> 0, 14);
  b.writeUInt32LE(f.zip64 ? MAX32 : deferred ? 0 : f.compressedSize, 18);
  b.writeUInt32LE(f.zip64 ? MAX32 : deferred ? 0 : f.size, 22);
  b.writeUInt16LE(f.name.length, 26);
  b.writeUInt16LE(extra.length, 28);
  return Buffer.concat([b, f.name, extra]);
}

export function dataDescriptor(
  crc: number,
  compressedSize: number,
  size: number,
  zip64: boolean,
): Buffer {
  const b = Buffer.alloc(zip64 ? 24 : 16);
  b.writeUInt32LE(SIG.descriptor, 0);
  b.writeUInt32LE(crc >>> 0, 4);
  if (zip64) {
    b.writeBigUInt64LE(BigInt(compressedSize), 8);
    b.writeBigUInt64LE(BigInt(size), 16);
  } else {
    b.writeUInt32LE(compressedSize, 8);
    b.writeUInt32LE(size, 12);
  }
  return b;
}

/** Bytes `writeCentralHeader` will write for `r`. */
export function centralHeaderLength(r: CentralRecord): number {
  const big =
    Number(r.size >= MAX32) + Number(r.compressedSize >= MAX32) + Number(r.offset >= MAX32);
  return 46 + r.name.length + (big > 0 ? 4 + 8 * big : 0) + 9;
}

/**
 * Writes `r`'s central directory header into `target` at `at` (room for
 * `centralHeaderLength(r)` bytes is the caller's to make) and returns its
 * length. Written in place, so a directory of 100,000 entries is a few
 * buffers, not 100,000 small objects on the heap.
 */
export function writeCentralHeader(target: Buffer, at: number, r: CentralRecord): number {
  const { date, time } = dosDateTime(r.mtimeMs);
  const big = [r.size >= MAX32, r.compressedSize >= MAX32, r.offset >= MAX32];
  const values = [r.size, r.compressedSize, r.offset].filter((_, i) => big[i]);
  const zip64 = values.length > 0;
  target.set(r.name, at + 46);
  const nameLength = r.name.length;
  const extraLength = (zip64 ? 4 + 8 * values.length : 0) + 9;
  const version = zip64 || r.zip64Local ? 45 : 20;
  target.writeUInt32LE(SIG.central, at);
  target.writeUInt16LE((3 << 8) | version, at + 4);
  target.writeUInt16LE(version, at + 6);
  target.writeUInt16LE(r.flags, at + 8);
  target.writeUInt16LE(r.method, at + 10);
  target.writeUInt16LE(time, at + 12);
  target.writeUInt16LE(date, at + 14);
  target.writeUInt32LE(r.crc >>> 0, at + 16);
  target.writeUInt32LE(big[1] ? MAX32 : r.compressedSize, at + 20);
  target.writeUInt32LE(big[0] ? MAX32 : r.size, at + 24);
  target.writeUInt16LE(nameLength, at + 28);
  target.writeUInt16LE(extraLength, at + 30);
  target.fill(0, at + 32, at + 38); // comment length, disk number start, internal attributes
  target.writeUInt32LE((((r.mode & 0xffff) << 16) | (r.isDirectory ? 0x10 : 0)) >>> 0, at + 38);
  target.writeUInt32LE(big[2] ? MAX32 : r.offset, at + 42);
  let p = at + 46 + nameLength;
  if (zip64) {
    target.writeUInt16LE(0x0001, p);
    target.writeUInt16LE(8 * values.length, p + 2);
    p += 4;
    for (const v of values) p = target.writeBigUInt64LE(BigInt(v), p);
  }
  target.writeUInt16LE(0x5455, p);
  target.writeUInt16LE(5, p + 2);
  target.writeUInt8(1, p + 4);
  target.writeUInt32LE(unixSeconds(r.mtimeMs), p + 5);
  return p + 9 - at;
}

/** The UTF-8 flag, for a name (its bytes) that is not plain printable ASCII. */
export function nameFlags(name: Uint8Array): number {
  for (const byte of name) if (byte < 0x20 || byte > 0x7e) return FLAG_UTF8;
  return 0;
}

/** The end records; ZIP64 ones first when the counts or offsets need them. */
export function endRecords(
  entries: number,
  cdOffset: number,
  cdSize: number,
  forceZip64 = false,
): Buffer {
  const zip64 = forceZip64 || entries >= MAX16 || cdOffset >= MAX32 || cdSize >= MAX32;
  const parts: Buffer[] = [];
  if (zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(SIG.zip64End, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE((3 << 8) | 45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(entries), 24);
    rec.writeBigUInt64LE(BigInt(entries), 32);
    rec.writeBigUInt64LE(BigInt(cdSize), 40);
    rec.writeBigUInt64LE(BigInt(cdOffset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(SIG.zip64Locator, 0);
    loc.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    loc.writeUInt32LE(1, 16);
    parts.push(rec, loc);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(SIG.end, 0);
  end.writeUInt16LE(zip64 ? MAX16 : entries, 8);
  end.writeUInt16LE(zip64 ? MAX16 : entries, 10);
  end.writeUInt32LE(zip64 ? MAX32 : cdSize, 12);
  end.writeUInt32LE(zip64 ? MAX32 : cdOffset, 16);
  parts.push(end);
  return Buffer.concat(parts);
}
