/**
 * Writes a worktree listing as a zip, with the reading, checksumming and
 * deflating done on zip threads and only ordering and writing on this one.
 *
 *   listing ─▶ units (batches of small files, blocks of large ones)
 *           ─▶ thread pool (read · CRC-32 · deflate · a batch's local headers, in parallel)
 *           ─▶ window of in-flight units, awaited strictly in order
 *           ─▶ local headers + data ─▶ central directory ─▶ end records
 *
 * A large file's local header goes out before its data with the CRC and
 * sizes still to come, and is rewritten in place after it (no data
 * descriptors: streaming readers need none). Every file is read between two
 * `fstat`s (a large one per block): one whose size, mtime or ctime moved is
 * read again once, and if it moves again it is archived as last read and
 * listed as changed while archiving, or fails the archive (`onChangedFile`).
 *
 * The window is bounded in bytes and written output buffers go back to the
 * threads, so memory stays flat whatever the size of the tree; per entry,
 * this thread keeps only a central directory record (bytes) and a CRC. The
 * event loop only ever waits, so BullMQ keeps renewing locks.
 */
import { open } from 'node:fs/promises';
import { RunwardenError } from '@runwarden/core';
import { CentralDirectoryBuilder } from './central-builder.js';
import { crc32Combine } from './crc32-combine.js';
import { OrderedOutput } from './ordered-output.js';
import type { EntryTable } from './entry-table.js';
import type { ArchiveWarning, SkippedFile, WorktreeListing } from './scan-worktree.js';
import type { ThreadPool } from './thread-pool.js';
import {
  BATCH_INFO_FIELDS,
  type DeflateBlockResult,
  type DeflateFilesResult,
  type FileState,
} from './thread-tasks.js';
import {
  type CentralRecord,
  endRecords,
  localHeader,
  METHOD_DEFLATE,
  METHOD_STORE,
  nameFlags,
  NTFS_MAX_SEC,
  NTFS_MIN_SEC,
  ZIP64_ENTRY_THRESHOLD,
} from './zip-format.js';
import {
  DEFAULT_UNIT_SIZES,
  fileBlocks,
  unitBytes,
  zipUnits,
  type UnitSizes,
  type ZipUnit,
} from './zip-units.js';
import { splitNs } from './entry-table.js';

export interface WriteZipOptions {
  /** zlib level 0–9; 0 stores. */
  level: number;
  pool: ThreadPool;
  /** Called after each unit is written. */
  onProgress?: (progress: ZipProgress) => void;
  signal?: AbortSignal;
  sizes?: UnitSizes;
  /**
   * Bytes of source read but not yet written that may be held at once.
   * @defaultValue 16 MiB
   */
  windowBytes?: number;
  /** Write ZIP64 end records even when not needed (tests). @defaultValue false */
  forceZip64?: boolean;
  /**
   * A file that changed while it was read, twice: `list` archives it as last
   * read and lists it in `warnings`; `fail` fails the archive.
   * @defaultValue 'list'
   */
  onChangedFile?: 'list' | 'fail';
}

export interface ZipProgress {
  bytesDone: number;
  bytesTotal: number;
  entriesDone: number;
  entriesTotal: number;
}

/** An entry as written, for verification against the source. */
export interface WrittenEntry {
  name: string;
  size: number;
  crc: number;
}

/**
 * The entries written, in zip order, with the CRC-32 of their source data:
 * what the verifier checks the zip against. Columns over the listing, not
 * an object per entry.
 */
export class WrittenEntries {
  /** Entries written. */
  count = 0;
  private order: Uint32Array;
  private readonly crcs: Uint32Array;
  /** Entries (by k) whose source changed while it was read. */
  private readonly changedSet = new Set<number>();

  constructor(private readonly table: EntryTable) {
    this.order = new Uint32Array(table.count);
    this.crcs = new Uint32Array(table.count);
  }

  add(index: number, crc: number, changed = false): void {
    this.order[this.count] = index;
    this.crcs[this.count] = crc;
    if (changed) this.changedSet.add(this.count);
    this.count += 1;
  }

  changed(k: number): boolean {
    return this.changedSet.has(k);
  }

  nameBuffer(k: number): Uint8Array {
    return this.table.nameBuffer(this.order[k]!);
  }

  name(k: number): string {
    return this.table.name(this.order[k]!);
  }

  size(k: number): number {
    return this.table.size(this.order[k]!);
  }

  crc(k: number): number {
    return this.crcs[k]!;
  }

  toArray(): WrittenEntry[] {
    return Array.from({ length: this.count }, (_, k) => ({
      name: this.name(k),
      size: this.size(k),
      crc: this.crc(k),
    }));
  }
}

export interface WriteZipResult {
  written: WrittenEntries;
  /** Files that could not be read and were left out. */
  skipped: SkippedFile[];
  /** Entries archived with a caveat (changed while read, time clamped). */
  warnings: ArchiveWarning[];
  zipBytes: number;
  sha256: string;
}

type Settled = { ok: true; value: unknown } | { ok: false; error: Error & { code?: string } };

/** Errors reading a file at its first byte: leave it out and say so, rather than fail the run's archive. */
const UNREADABLE = new Set([
  'EACCES',
  'EPERM',
  'ENOENT',
  'ELOOP',
  'EISDIR',
  'ENXIO',
  'NOT_REGULAR',
  'EIO',
]);

function settle(p: Promise<unknown>): Promise<Settled> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, error }),
  );
}

const SLASH = Buffer.from('/');

/**
 * Starts a unit on the pool. `dictionary` false deflates a block without the
 * 32 KiB before it: each block then stands alone, so a file that changes
 * between two blocks' reads still gives a stream that inflates to exactly
 * the bytes checksummed (with a dictionary read apart from the data it
 * follows, it would not).
 */
function startUnit(
  unit: ZipUnit,
  listing: WorktreeListing,
  options: WriteZipOptions,
  dictionary = true,
): Promise<Settled> {
  const table = listing.entries;
  if (unit.kind === 'block') {
    const { index, offset, length, last } = unit;
    const dictLength = dictionary ? Math.min(offset, 32 * 1024) : 0;
    return settle(
      options.pool.run({
        kind: 'deflate-block',
        level: options.level,
        path: Buffer.concat([Buffer.from(listing.root), SLASH, table.nameBuffer(index)]),
        offset,
        length,
        dictLength,
        last,
      }),
    );
  }
  const { start, end } = unit;
  const links: [number, Uint8Array][] = [];
  for (let i = start; i < end; i += 1) {
    const target = table.linkTarget(i);
    if (target !== undefined) links.push([i - start, target]);
  }
  return settle(
    options.pool.run({
      kind: 'deflate-files',
      level: options.level,
      root: listing.root,
      // A copy: a view would take its whole underlying buffer (every name of
      // the listing) across with it.
      names: new Uint8Array(table.nameRange(start, end)),
      ...table.columns(start, end),
      links,
    }),
  );
}

function sameState(a: FileState, b: FileState): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** A large file being written block by block. */
interface LargeEntry {
  offset: number;
  method: number;
  flags: number;
  zip64: boolean;
  mtimeSec: number;
  mtimeNsec: number;
  crc: number;
  compressed: number;
  size: number;
  /** The file before its first block was read: every later state must match it. */
  state: FileState;
  latest: FileState;
  changed: boolean;
}

const MAX32 = 0xffffffff;

class ZipBuilder {
  readonly written: WrittenEntries;
  readonly skipped: SkippedFile[] = [];
  readonly warnings: ArchiveWarning[] = [];
  private readonly central = new CentralDirectoryBuilder();
  private stream: LargeEntry | undefined;
  private skippedStream: number | undefined;

  constructor(
    readonly out: OrderedOutput,
    private readonly table: EntryTable,
    private readonly level: number,
    private readonly onChangedFile: 'list' | 'fail',
    /** Where a thread's output buffer goes once written. */
    private readonly recycle: (buffer: ArrayBufferLike) => void,
  ) {
    this.written = new WrittenEntries(table);
  }

  /** One record, filled in per entry: the directory keeps bytes, not these. */
  private readonly entry: CentralRecord = {
    name: Buffer.alloc(0),
    method: 0,
    flags: 0,
    crc: 0,
    compressedSize: 0,
    size: 0,
    offset: 0,
    mode: 0,
    mtimeSec: 0,
    mtimeNsec: 0,
    isDirectory: false,
    zip64Local: false,
  };

  private record(
    index: number,
    method: number,
    flags: number,
    crc: number,
    compressedSize: number,
    offset: number,
    zip64Local: boolean,
    changed = false,
  ): void {
    const { table, entry } = this;
    entry.name = table.nameBuffer(index);
    entry.method = method;
    entry.flags = flags;
    entry.crc = crc;
    entry.compressedSize = compressedSize;
    entry.size = table.size(index);
    entry.offset = offset;
    entry.mode = table.mode(index);
    entry.mtimeSec = table.mtimeSec(index);
    entry.mtimeNsec = table.mtimeNsec(index);
    entry.isDirectory = table.kind(index) === 'dir';
    entry.zip64Local = zip64Local;
    if (entry.mtimeSec < NTFS_MIN_SEC || entry.mtimeSec > NTFS_MAX_SEC)
      this.warnings.push({
        path: table.name(index),
        warning: `mtime ${entry.mtimeSec} s since 1970 is outside what a zip holds (1601 to 30828): stored clamped to the nearest end`,
      });
    this.central.add(entry);
    this.written.add(index, crc, changed);
  }

  /** A file that changed while read twice: listed, or the archive fails. */
  private changed(index: number): void {
    const path = this.table.name(index);
    if (this.onChangedFile === 'fail')
      throw new RunwardenError(
        'ARCHIVE_SOURCE_CHANGED',
        `${path} changed while it was archived (read twice, changed both times); archive.onChangedFile is "fail", so no archive was written. Archive the run once nothing writes to it, or set archive.onChangedFile to "list".`,
      );
    this.warnings.push({
      path,
      warning:
        'changed while archiving: it changed during both reads, so the archive holds the last read, which may mix old and new content',
    });
  }

  /** A batch as the zip thread returned it: local headers and data, appended at once. */
  async batch(
    unit: Extract<ZipUnit, { kind: 'files' }>,
    result: DeflateFilesResult,
  ): Promise<void> {
    const base = this.out.offset;
    await this.out.append(result.data, () => this.recycle(result.data.buffer));
    const { info } = result;
    for (let i = unit.start; i < unit.end; i += 1) {
      const at = (i - unit.start) * BATCH_INFO_FIELDS;
      if (info[at] !== 1) continue;
      this.table.update(i, info[at + 6]!, info[at + 7]!, info[at + 8]!);
      const changed = info[at + 9] === 1;
      if (changed) this.changed(i);
      this.record(
        i,
        info[at + 1]!,
        info[at + 2]!,
        info[at + 3]!,
        info[at + 4]!,
        base + info[at + 5]!,
        false,
        changed,
      );
    }
    for (const { index, code, message } of result.errors)
      this.skipped.push({
        path: this.table.name(unit.start + index),
        reason: `unreadable (${code}): ${message}`,
      });
  }

  /**
   * One block of a large file, in order. After the last, the local header
   * is rewritten with the CRC and sizes; returns the file's size as last
   * seen when it changed while read on a first attempt (`attempt` 0), for
   * the caller to read it again.
   */
  async block(
    unit: Extract<ZipUnit, { kind: 'block' }>,
    settled: Settled,
    attempt: number,
  ): Promise<number | undefined> {
    const { index } = unit;
    if (this.skippedStream === index) return undefined;
    if (!settled.ok) {
      if (unit.first && UNREADABLE.has(settled.error.code ?? '')) {
        this.skippedStream = index;
        this.skipped.push({
          path: this.table.name(index),
          reason: `unreadable (${settled.error.code}): ${settled.error.message}`,
        });
        return undefined;
      }
      throw settled.error;
    }
    const r = settled.value as DeflateBlockResult;
    if (unit.first) await this.startLarge(index, r.before);
    const s = this.stream!;
    s.crc = unit.first ? r.crc : crc32Combine(s.crc, r.crc, r.length);
    s.size += r.length;
    s.compressed += r.data.length;
    s.latest = r.after;
    if (!sameState(r.before, s.state) || !sameState(r.after, s.state)) s.changed = true;
    await this.out.append(r.data, () => this.recycle(r.data.buffer));
    if (!unit.last) return undefined;
    if (s.size !== s.latest.size) s.changed = true;
    if (s.changed && attempt === 0) {
      await this.out.truncate(s.offset);
      this.stream = undefined;
      return s.latest.size;
    }
    await this.finishLarge(index, s);
    return undefined;
  }

  private async startLarge(index: number, state: FileState): Promise<void> {
    const method = this.level > 0 ? METHOD_DEFLATE : METHOD_STORE;
    const size = state.size;
    const zip64 = method === METHOD_STORE ? size >= MAX32 : size >= ZIP64_ENTRY_THRESHOLD;
    const t = splitNs(state.mtimeNs);
    const s: LargeEntry = {
      offset: this.out.offset,
      method,
      flags: nameFlags(this.table.nameBuffer(index)),
      zip64,
      mtimeSec: t.sec,
      mtimeNsec: t.nsec,
      crc: 0,
      compressed: 0,
      size: 0,
      state,
      latest: state,
      changed: false,
    };
    this.stream = s;
    this.out.holdHash();
    await this.out.append(this.largeHeader(index, s));
  }

  private largeHeader(index: number, s: LargeEntry): Buffer {
    return localHeader({
      name: this.table.nameBuffer(index),
      method: s.method,
      flags: s.flags,
      mtimeSec: s.mtimeSec,
      mtimeNsec: s.mtimeNsec,
      crc: s.crc,
      compressedSize: s.compressed,
      size: s.size,
      zip64: s.zip64,
    });
  }

  private async finishLarge(index: number, s: LargeEntry): Promise<void> {
    if (!s.zip64 && (s.size >= MAX32 || s.compressed >= MAX32))
      throw new Error(
        `${this.table.name(index)} grew past 4 GiB while it was archived; archive it again`,
      );
    await this.out.patch(s.offset, this.largeHeader(index, s));
    await this.out.releaseHash();
    this.table.update(index, s.size, s.mtimeSec, s.mtimeNsec);
    if (s.changed) this.changed(index);
    this.record(index, s.method, s.flags, s.crc, s.compressed, s.offset, s.zip64, s.changed);
    this.stream = undefined;
  }

  async finish(forceZip64: boolean): Promise<void> {
    const cdOffset = this.out.offset;
    for (const chunk of this.central.buffers()) await this.out.append(chunk);
    await this.out.append(
      endRecords(this.central.count, cdOffset, this.out.offset - cdOffset, forceZip64),
    );
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw signal.reason instanceof Error ? signal.reason : new Error('archiving was aborted');
}

/** Writes the listed entries as a zip at `path` (created or truncated), fsynced before it resolves. */
export async function writeZip(
  path: string,
  listing: WorktreeListing,
  options: WriteZipOptions,
): Promise<WriteZipResult> {
  const table = listing.entries;
  const sizes = options.sizes ?? DEFAULT_UNIT_SIZES;
  const windowBytes = options.windowBytes ?? 16 * 1024 * 1024;
  const maxUnits = options.pool.size * 3;
  const progress: ZipProgress = {
    bytesDone: 0,
    bytesTotal: 0,
    entriesDone: 0,
    entriesTotal: table.count,
  };
  for (let i = 0; i < table.count; i += 1)
    if (table.kind(i) === 'file') progress.bytesTotal += table.size(i);

  const fh = await open(path, 'w+', 0o644);
  try {
    const builder = new ZipBuilder(
      new OrderedOutput(fh),
      table,
      options.level,
      options.onChangedFile ?? 'list',
      (b) => options.pool.recycle(b),
    );
    /** A large file that changed while read, read once more, a few blocks ahead, blocks standing alone. */
    const readAgain = async (index: number, size: number) => {
      const ahead: { unit: Extract<ZipUnit, { kind: 'block' }>; result: Promise<Settled> }[] = [];
      const next = async () => {
        const head = ahead.shift()!;
        await builder.block(head.unit, await head.result, 1);
      };
      for (const unit of fileBlocks(index, size, sizes.blockSize)) {
        if (ahead.length >= options.pool.size * 2) await next();
        ahead.push({ unit, result: startUnit(unit, listing, options, false) });
      }
      while (ahead.length > 0) await next();
    };
    const window: { unit: ZipUnit; result: Promise<Settled> }[] = [];
    let inFlight = 0;
    const writeHead = async () => {
      const head = window.shift()!;
      const settled = await head.result;
      inFlight -= unitBytes(head.unit);
      throwIfAborted(options.signal);
      if (head.unit.kind === 'block') {
        const again = await builder.block(head.unit, settled, 0);
        if (again !== undefined) await readAgain(head.unit.index, again);
        if (head.unit.last) progress.entriesDone += 1;
      } else {
        if (!settled.ok) throw settled.error;
        await builder.batch(head.unit, settled.value as DeflateFilesResult);
        progress.entriesDone += head.unit.end - head.unit.start;
      }
      progress.bytesDone += unitBytes(head.unit);
      options.onProgress?.({ ...progress });
    };
    for (const unit of zipUnits(table, sizes)) {
      throwIfAborted(options.signal);
      while (
        window.length > 0 &&
        (window.length >= maxUnits || inFlight + unitBytes(unit) > windowBytes)
      )
        await writeHead();
      window.push({ unit, result: startUnit(unit, listing, options) });
      inFlight += unitBytes(unit);
    }
    while (window.length > 0) await writeHead();
    await builder.finish(options.forceZip64 ?? false);
    const sha256 = await builder.out.finish();
    return {
      written: builder.written,
      skipped: builder.skipped,
      warnings: builder.warnings,
      zipBytes: builder.out.offset,
      sha256,
    };
  } finally {
    await fh.close();
  }
}
