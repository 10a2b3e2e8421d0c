/**
 * A worktree listing kept as columns: names as UTF-8 bytes back to back,
 * sizes, modes and mtimes in typed arrays. A tree of 100,000 files costs
 * about 80 bytes an entry outside the JavaScript heap, instead of 100,000
 * objects and 200,000 strings that the garbage collector traces, promotes
 * and grows the heap for while the zip is written.
 */

export type EntryKind = 'file' | 'dir' | 'symlink';

/** How a kind is stored in the table's (and a batch task's) `kinds` column: its index here. */
export const KINDS: readonly EntryKind[] = ['file', 'dir', 'symlink'];

/** One entry, as an object: for tests, messages and logs, not for the hot path. */
export interface SourceEntry {
  /** Path inside the zip, `/`-separated; directories end with `/`. */
  name: string;
  kind: EntryKind;
  /** Bytes of a file, or of a symlink's target text; 0 for a directory. */
  size: number;
  /** Full st_mode: type and permission bits. */
  mode: number;
  mtimeMs: number;
  linkTarget?: string;
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
  private mtimes = new Float64Array(1024);
  private readonly links = new Map<number, string>();

  add(entry: SourceEntry): void {
    const i = this.count;
    const nameLength = Buffer.byteLength(entry.name);
    if (this.nameUsed + nameLength > this.nameBytes.length) {
      const bytes = Buffer.alloc(Math.max(this.nameUsed + nameLength, this.nameBytes.length * 2));
      this.nameBytes.copy(bytes, 0, 0, this.nameUsed);
      this.nameBytes = bytes;
    }
    this.nameUsed += this.nameBytes.write(entry.name, this.nameUsed, 'utf8');
    this.nameEnds = grown(this.nameEnds, i + 1, (n) => new Float64Array(n));
    this.kinds = grown(this.kinds, i + 1, (n) => new Uint8Array(n));
    this.sizes = grown(this.sizes, i + 1, (n) => new Float64Array(n));
    this.modes = grown(this.modes, i + 1, (n) => new Uint32Array(n));
    this.mtimes = grown(this.mtimes, i + 1, (n) => new Float64Array(n));
    this.nameEnds[i] = this.nameUsed;
    this.kinds[i] = KINDS.indexOf(entry.kind);
    this.sizes[i] = entry.size;
    this.modes[i] = entry.mode;
    this.mtimes[i] = entry.mtimeMs;
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

  name(i: number): string {
    return this.nameBytes.toString('utf8', this.nameStart(i), this.nameEnds[i]);
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

  mtimeMs(i: number): number {
    return this.mtimes[i]!;
  }

  linkTarget(i: number): string | undefined {
    return this.links.get(i);
  }

  /**
   * Entries [start, end) as the columns a zip thread takes: copies, because a
   * message carries a view's whole underlying buffer, not just the view.
   */
  columns(
    start: number,
    end: number,
  ): { kinds: Uint8Array; sizes: Float64Array; mtimes: Float64Array; nameEnds: Float64Array } {
    const base = this.nameStart(start);
    return {
      kinds: this.kinds.slice(start, end),
      sizes: this.sizes.slice(start, end),
      mtimes: this.mtimes.slice(start, end),
      nameEnds: this.nameEnds.slice(start, end).map((e) => e - base),
    };
  }

  entry(i: number): SourceEntry {
    const entry: SourceEntry = {
      name: this.name(i),
      kind: this.kind(i),
      size: this.size(i),
      mode: this.mode(i),
      mtimeMs: this.mtimeMs(i),
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
