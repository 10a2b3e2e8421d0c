/**
 * The byte layout of a zip file (PKWARE APPNOTE 6.3), as far as runwarden
 * writes and reads it:
 *
 *   [local header + data] × n   central directory   [zip64 end + locator]   end record
 *
 * No data descriptors: a large entry's local header is rewritten in place
 * once its CRC and sizes are known, so streaming readers (Java's
 * ZipInputStream) read every entry. Unix mode bits go in the external
 * attributes (made by 3 = Unix). The mtime goes three ways, each reader
 * taking what it knows: DOS time (local time, 2 s, 1980–2107, clamped),
 * the extended timestamp (0x5455, 32-bit UTC seconds, written only where
 * it is exact: 1970 to 2038-01-19, the range where the spec's signed
 * reading and libarchive's unsigned one agree) and the NTFS field (0x000a,
 * 100 ns since 1601, any date to 30828; last, so readers that take the last
 * time field found, like Java's, take the exact one). ZIP64 is used per
 * entry when a size could reach 4 GiB, in the local and the central header
 * alike, and for the end records when counts or offsets need it.
 */
import { isUtf8 } from 'node:buffer';

export const SIG = {
  local: 0x04034b50,
  central: 0x02014b50,
  end: 0x06054b50,
  zip64End: 0x06064b50,
  zip64Locator: 0x07064b50,
} as const;

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;
export const FLAG_UTF8 = 0x0800;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Deflate can grow incompressible data by ~0.03 %: leave room before 4 GiB. */
export const ZIP64_ENTRY_THRESHOLD = MAX32 - 64 * 1024 * 1024;

/** What the central directory needs to know about one written entry. */
export interface CentralRecord {
  /** The entry's path in the zip, as bytes. */
  name: Uint8Array;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  /** Full st_mode (type and permission bits). */
  mode: number;
  mtimeSec: number;
  mtimeNsec: number;
  isDirectory: boolean;
  /** The local header has a ZIP64 field: the central one gets one too, for both sizes. */
  zip64Local: boolean;
}

const DOS_MIN = { date: (0 << 9) | (1 << 5) | 1, time: 0 };
const DOS_MAX = { date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29 };

export function dosDateTime(mtimeSec: number): { date: number; time: number } {
  const d = new Date(mtimeSec * 1000);
  const year = d.getFullYear();
  if (!(year >= 1980)) return DOS_MIN;
  if (year > 2107) return DOS_MAX;
  return {
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
  };
}

const INT32_MAX = 0x7fffffff;
/** Seconds from 1601-01-01 (the NTFS epoch) to 1970-01-01. */
const NTFS_EPOCH_OFFSET = 11_644_473_600n;
const NTFS_MAX = (1n << 63n) - 1n;
/** The oldest and newest mtimes (seconds since 1970) the NTFS field holds. */
export const NTFS_MIN_SEC = -11_644_473_600;
export const NTFS_MAX_SEC = Number(NTFS_MAX / 10_000_000n - NTFS_EPOCH_OFFSET) - 1;

/**
 * Whether a time fits the extended timestamp exactly. The spec makes it
 * signed, but libarchive reads it unsigned (1960 came back as 2096 from
 * bsdtar): only times both readings agree on are written.
 */
function fitsExtendedTimestamp(mtimeSec: number): boolean {
  return mtimeSec >= 0 && mtimeSec <= INT32_MAX;
}

/** Bytes of the time fields for a time: extended timestamp (when it fits) and NTFS. */
function timeFieldsLength(mtimeSec: number): number {
  return (fitsExtendedTimestamp(mtimeSec) ? 9 : 0) + 36;
}

/** NTFS 100 ns ticks for a time, clamped to what the field holds (the scanner lists clamped times). */
function ntfsTicks(mtimeSec: number, mtimeNsec: number): bigint {
  if (mtimeSec < NTFS_MIN_SEC) return 0n;
  if (mtimeSec > NTFS_MAX_SEC) return NTFS_MAX;
  return (BigInt(mtimeSec) + NTFS_EPOCH_OFFSET) * 10_000_000n + BigInt(Math.floor(mtimeNsec / 100));
}

/** Writes the time fields at `at`; returns the offset after them. Same bytes in local and central headers. */
function writeTimeFields(target: Buffer, at: number, mtimeSec: number, mtimeNsec: number): number {
  let p = at;
  if (fitsExtendedTimestamp(mtimeSec)) {
    target.writeUInt16LE(0x5455, p);
    target.writeUInt16LE(5, p + 2);
    target.writeUInt8(1, p + 4);
    target.writeInt32LE(mtimeSec, p + 5);
    p += 9;
  }
  const ticks = ntfsTicks(mtimeSec, mtimeNsec);
  target.writeUInt16LE(0x000a, p);
  target.writeUInt16LE(32, p + 2);
  target.writeUInt32LE(0, p + 4);
  target.writeUInt16LE(0x0001, p + 8);
  target.writeUInt16LE(24, p + 10);
  // mtime, atime, ctime (creation on Windows): the mtime for all three.
  for (let k = 0; k < 3; k += 1) target.writeBigUInt64LE(ticks, p + 12 + 8 * k);
  return p + 36;
}

export interface LocalHeaderFields {
  name: Uint8Array;
  method: number;
  flags: number;
  mtimeSec: number;
  mtimeNsec: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** A ZIP64 field with both sizes, and 0xFFFFFFFF in the 32-bit ones. */
  zip64: boolean;
}

/** Bytes `localHeader` writes for these fields. */
export function localHeaderLength(f: LocalHeaderFields): number {
  return 30 + f.name.length + (f.zip64 ? 20 : 0) + timeFieldsLength(f.mtimeSec);
}

export function localHeader(f: LocalHeaderFields): Buffer {
  const { date, time } = dosDateTime(f.mtimeSec);
  const b = Buffer.alloc(localHeaderLength(f));
  b.writeUInt32LE(SIG.local, 0);
  b.writeUInt16LE(f.zip64 ? 45 : 20, 4);
  b.writeUInt16LE(f.flags, 6);
  b.writeUInt16LE(f.method, 8);
  b.writeUInt16LE(time, 10);
  b.writeUInt16LE(date, 12);
  b.writeUInt32LE(f.crc >>> 0, 14);
  b.writeUInt32LE(f.zip64 ? MAX32 : f.compressedSize, 18);
  b.writeUInt32LE(f.zip64 ? MAX32 : f.size, 22);
  b.writeUInt16LE(f.name.length, 26);
  b.writeUInt16LE(b.length - 30 - f.name.length, 28);
  b.set(f.name, 30);
  let p = 30 + f.name.length;
  if (f.zip64) {
    b.writeUInt16LE(0x0001, p);
    b.writeUInt16LE(16, p + 2);
    b.writeBigUInt64LE(BigInt(f.size), p + 4);
    b.writeBigUInt64LE(BigInt(f.compressedSize), p + 12);
    p += 20;
  }
  writeTimeFields(b, p, f.mtimeSec, f.mtimeNsec);
  return b;
}

/** Which of size, compressed size and offset go in the central header's ZIP64 field. */
function centralBig(r: CentralRecord): [boolean, boolean, boolean] {
  return [
    r.zip64Local || r.size >= MAX32,
    r.zip64Local || r.compressedSize >= MAX32,
    r.offset >= MAX32,
  ];
}

/** Bytes `writeCentralHeader` will write for `r`. */
export function centralHeaderLength(r: CentralRecord): number {
  const big = centralBig(r).filter(Boolean).length;
  return 46 + r.name.length + (big > 0 ? 4 + 8 * big : 0) + timeFieldsLength(r.mtimeSec);
}

/**
 * Writes `r`'s central directory header into `target` at `at` (room for
 * `centralHeaderLength(r)` bytes is the caller's to make) and returns its
 * length. Written in place, so a directory of 100,000 entries is a few
 * buffers, not 100,000 small objects on the heap.
 */
export function writeCentralHeader(target: Buffer, at: number, r: CentralRecord): number {
  const { date, time } = dosDateTime(r.mtimeSec);
  const big = centralBig(r);
  const values = [r.size, r.compressedSize, r.offset].filter((_, i) => big[i]);
  const zip64 = values.length > 0;
  target.set(r.name, at + 46);
  const nameLength = r.name.length;
  const extraLength = (zip64 ? 4 + 8 * values.length : 0) + timeFieldsLength(r.mtimeSec);
  const version = zip64 ? 45 : 20;
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
  return writeTimeFields(target, p, r.mtimeSec, r.mtimeNsec) - at;
}

/** The UTF-8 flag, for a name whose bytes are valid UTF-8 and not plain ASCII. */
export function nameFlags(name: Uint8Array): number {
  let ascii = true;
  for (const byte of name) if (byte > 0x7e) ascii = false;
  return !ascii && isUtf8(name) ? FLAG_UTF8 : 0;
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
