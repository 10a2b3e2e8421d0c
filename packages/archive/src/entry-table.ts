/**
 * A worktree listing kept as columns: names as the bytes the filesystem
 * gave (UTF-8 or not) back to back, sizes, modes and mtimes (seconds and
 * nanoseconds) in typed arrays. A tree of 100,000 files costs
 * about 80 bytes an entry outside the JavaScript heap, instead of 100,000
 * objects and 200,000 strings that the garbage collector traces, promotes
 * and grows the heap for while the zip is written.
 */

import { isUtf8 } from 'node:buffer';

export type EntryKind = 'file' | 'dir' | 'symlink';

/** How a kind is stored in the table's (and a batch task's) `kinds` column: its index here. */
export const KINDS: readonly EntryKind[] = ['file', 'dir', 'symlink'];

/** One entry, as an object: for tests, messages and logs, not for the hot path. */
export interface SourceEntry {
  /** Path inside the zip, `/`-separated; directories end with `/`. Bytes when not valid UTF-8. */
  name: string | Uint8Array;
  kind: EntryKind;
  /** Bytes of a file, or of a symlink's target text; 0 for a directory. */
  size: number;
  /** Full st_mode: type and permission bits. */
  mode: number;
  /** Whole seconds since 1970 (negative before), and the nanoseconds past them. */
  mtimeSec: number;
  mtimeNsec: number;
  /** A symlink's target, as bytes. */
  linkTarget?: Uint8Array;
}

/** Nanoseconds since 1970 as whole seconds (floored, so negative before 1970) and the nanoseconds past them. */
export function splitNs(ns: bigint): { sec: number; nsec: number } {
  const sec = ns / 1_000_000_000n - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1n : 0n);
  return { sec: Number(sec), nsec: Number(ns - sec * 1_000_000_000n) };
}

/** A name as a person reads it: UTF-8 as is, other bytes as \xNN. */
export function displayName(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(b)) return b.toString('utf8');
  let out = '';
  for (const byte of b)
    out +=
      byte >= 0x20 && byte < 0x7f
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`;
  return out;
}

function grown<T extends Uint8Array | Uint32Array | Float64Array>(
  array: T,
  needed: number,
  make: (length: number) => T,
): T {
  if (needed <= array.length) return array;
  const next = make(Math.max(needed, array.length * 2, 1024));
  next.set(array);
  return next;
}

export class EntryTable {
  /** Entries listed. */
  count = 0;
  private nameBytes = Buffer.alloc(64 * 1024);
  private nameUsed = 0;
  /** Entry i's name is nameBytes[nameEnds[i-1] (0 for i = 0), nameEnds[i]). */
  private nameEnds = new Float64Array(1024);
  private kinds = new Uint8Array(1024);
  private sizes = new Float64Array(1024);
  private modes = new Uint32Array(1024);
  private mtimeSecs = new Float64Array(1024);
  private mtimeNsecs = new Uint32Array(1024);
  private readonly links = new Map<number, Uint8Array>();

  add(entry: SourceEntry): void {
    const i = this.count;
    const name = typeof entry.name === 'string' ? Buffer.from(entry.name) : entry.name;
    const nameLength = name.length;
    if (this.nameUsed + nameLength > this.nameBytes.length) {
      const bytes = Buffer.alloc(Math.max(this.nameUsed + nameLength, this.nameBytes.length * 2));
      this.nameBytes.copy(bytes, 0, 0, this.nameUsed);
      this.nameBytes = bytes;
    }
    this.nameBytes.set(name, this.nameUsed);
    this.nameUsed += nameLength;
    this.nameEnds = grown(this.nameEnds, i + 1, (n) => new Float64Array(n));
    this.kinds = grown(this.kinds, i + 1, (n) => new Uint8Array(n));
    this.sizes = grown(this.sizes, i + 1, (n) => new Float64Array(n));
    this.modes = grown(this.modes, i + 1, (n) => new Uint32Array(n));
    this.mtimeSecs = grown(this.mtimeSecs, i + 1, (n) => new Float64Array(n));
    this.mtimeNsecs = grown(this.mtimeNsecs, i + 1, (n) => new Uint32Array(n));
    this.nameEnds[i] = this.nameUsed;
    this.kinds[i] = KINDS.indexOf(entry.kind);
    this.sizes[i] = entry.size;
    this.modes[i] = entry.mode;
    this.mtimeSecs[i] = entry.mtimeSec;
    this.mtimeNsecs[i] = entry.mtimeNsec;
    if (entry.linkTarget !== undefined) this.links.set(i, entry.linkTarget);
    this.count += 1;
  }

  private nameStart(i: number): number {
    return i === 0 ? 0 : this.nameEnds[i - 1]!;
  }

  /** The UTF-8 bytes of entries [start, end)'s names, back to back (a view, not a copy). */
  nameRange(start: number, end: number): Buffer {
    return this.nameBytes.subarray(
      this.nameStart(start),
      end > start ? this.nameEnds[end - 1] : this.nameStart(start),
    );
  }

  /** Entry i's name as bytes (a view). */
  nameBuffer(i: number): Buffer {
    return this.nameBytes.subarray(this.nameStart(i), this.nameEnds[i]);
  }

  /** Entry i's name for messages (see displayName). */
  name(i: number): string {
    return displayName(this.nameBuffer(i));
  }

  kind(i: number): EntryKind {
    return KINDS[this.kinds[i]!]!;
  }

  size(i: number): number {
    return this.sizes[i]!;
  }

  mode(i: number): number {
    return this.modes[i]!;
  }

  mtimeSec(i: number): number {
    return this.mtimeSecs[i]!;
  }

  mtimeNsec(i: number): number {
    return this.mtimeNsecs[i]!;
  }

  /** What was found when the file was read: its size and mtime then. */
  update(i: number, size: number, mtimeSec: number, mtimeNsec: number): void {
    this.sizes[i] = size;
    this.mtimeSecs[i] = mtimeSec;
    this.mtimeNsecs[i] = mtimeNsec;
  }

  linkTarget(i: number): Uint8Array | undefined {
    return this.links.get(i);
  }

  /**
   * Entries [start, end) as the columns a zip thread takes: copies, because a
   * message carries a view's whole underlying buffer, not just the view.
   */
  columns(
    start: number,
    end: number,
  ): {
    kinds: Uint8Array;
    sizes: Float64Array;
    mtimeSecs: Float64Array;
    mtimeNsecs: Uint32Array;
    nameEnds: Float64Array;
  } {
    const base = this.nameStart(start);
    return {
      kinds: this.kinds.slice(start, end),
      sizes: this.sizes.slice(start, end),
      mtimeSecs: this.mtimeSecs.slice(start, end),
      mtimeNsecs: this.mtimeNsecs.slice(start, end),
      nameEnds: this.nameEnds.slice(start, end).map((e) => e - base),
    };
  }

  entry(i: number): SourceEntry {
    const bytes = this.nameBuffer(i);
    const entry: SourceEntry = {
      name: isUtf8(bytes) ? bytes.toString('utf8') : Buffer.from(bytes),
      kind: this.kind(i),
      size: this.size(i),
      mode: this.mode(i),
      mtimeSec: this.mtimeSec(i),
      mtimeNsec: this.mtimeNsec(i),
    };
    const target = this.links.get(i);
    if (target !== undefined) entry.linkTarget = target;
    return entry;
  }

  /** Every entry as an object (tests, small trees). */
  entries(): SourceEntry[] {
    return Array.from({ length: this.count }, (_, i) => this.entry(i));
  }
}
