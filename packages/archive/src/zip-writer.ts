/**
 * Writes a worktree listing as a zip, with the reading, checksumming and
 * deflating done on zip threads and only ordering and writing on this one.
 *
 *   listing ─▶ units (batches of small files, blocks of large ones)
 *           ─▶ thread pool (read · CRC-32 · deflate, in parallel)
 *           ─▶ window of in-flight units, awaited strictly in order
 *           ─▶ local headers + data (+ descriptors) ─▶ central directory ─▶ end records
 *
 * The window is bounded in bytes, so memory stays flat whatever the size of
 * the tree; the event loop only ever waits, so BullMQ keeps renewing locks.
 */
import { open } from 'node:fs/promises';
import { CentralDirectoryBuilder } from './central-builder.js';
import { crc32Combine } from './crc32-combine.js';
import { OrderedOutput } from './ordered-output.js';
import type { SkippedFile, SourceEntry } from './scan-worktree.js';
import type { ThreadPool } from './thread-pool.js';
import { BATCH_INFO_FIELDS, type BatchEntry, type DeflateFilesResult } from './thread-tasks.js';
import {
  dataDescriptor,
  endRecords,
  FLAG_DESCRIPTOR,
  localHeader,
  METHOD_DEFLATE,
  METHOD_STORE,
  nameFlags,
  ZIP64_ENTRY_THRESHOLD,
} from './zip-format.js';
import {
  DEFAULT_UNIT_SIZES,
  unitBytes,
  zipUnits,
  type UnitSizes,
  type ZipUnit,
} from './zip-units.js';

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

export interface WriteZipResult {
  entries: WrittenEntry[];
  /** Files that could not be read and were left out. */
  skipped: SkippedFile[];
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

function startUnit(unit: ZipUnit, options: WriteZipOptions): Promise<Settled> {
  if (unit.kind === 'block') {
    const { entry, offset, length, last } = unit;
    const dictLength = Math.min(offset, 32 * 1024);
    return settle(
      options.pool.run({
        kind: 'deflate-block',
        level: options.level,
        path: entry.absPath,
        offset,
        length,
        dictLength,
        last,
      }),
    );
  }
  const entries = unit.entries.map((e): BatchEntry => ({
    name: e.name,
    kind: e.kind,
    path: e.kind === 'file' && e.size > 0 ? e.absPath : undefined,
    size: e.size,
    mtimeMs: e.mtimeMs,
    linkTarget: e.linkTarget,
  }));
  return settle(options.pool.run({ kind: 'deflate-files', level: options.level, entries }));
}

class ZipBuilder {
  readonly written: WrittenEntry[] = [];
  readonly skipped: SkippedFile[] = [];
  private readonly central = new CentralDirectoryBuilder();
  private stream:
    | {
        entry: SourceEntry;
        offset: number;
        crc: number;
        compressed: number;
        zip64: boolean;
      }
    | undefined;
  private skippedStream: SourceEntry | undefined;

  constructor(
    readonly out: OrderedOutput,
    private readonly level: number,
    /** Where a thread's output buffer goes once written. */
    private readonly recycle: (buffer: ArrayBufferLike) => void,
  ) {}

  private record(
    entry: SourceEntry,
    fields: {
      method: number;
      flags: number;
      crc: number;
      compressedSize: number;
      offset: number;
      zip64Local: boolean;
    },
  ): void {
    this.central.add({
      ...fields,
      name: entry.name,
      size: entry.size,
      mode: entry.mode,
      mtimeMs: entry.mtimeMs,
      isDirectory: entry.kind === 'dir',
    });
    this.written.push({ name: entry.name, size: entry.size, crc: fields.crc });
  }

  /** A batch as the zip thread returned it: local headers and data, appended at once. */
  async batch(entries: readonly SourceEntry[], result: DeflateFilesResult): Promise<void> {
    const base = this.out.offset;
    await this.out.append(result.data, () => this.recycle(result.data.buffer));
    const { info } = result;
    entries.forEach((entry, i) => {
      const at = i * BATCH_INFO_FIELDS;
      if (info[at] !== 1) return;
      this.record(entry, {
        method: info[at + 1]!,
        flags: info[at + 2]!,
        crc: info[at + 3]!,
        compressedSize: info[at + 4]!,
        offset: base + info[at + 5]!,
        zip64Local: false,
      });
    });
    for (const { index, code, message } of result.errors)
      this.skipped.push({
        path: entries[index]!.name,
        reason: `unreadable (${code}): ${message}`,
      });
  }

  async block(unit: Extract<ZipUnit, { kind: 'block' }>, settled: Settled): Promise<void> {
    const { entry } = unit;
    if (this.skippedStream === entry) return;
    if (!settled.ok) {
      if (unit.first && UNREADABLE.has(settled.error.code ?? '')) {
        this.skippedStream = entry;
        this.skipped.push({
          path: entry.name,
          reason: `unreadable (${settled.error.code}): ${settled.error.message}`,
        });
        return;
      }
      throw settled.error;
    }
    const { crc, data } = settled.value as { crc: number; data: Uint8Array };
    const flags = FLAG_DESCRIPTOR | nameFlags(entry.name);
    if (unit.first) {
      const zip64 = entry.size >= ZIP64_ENTRY_THRESHOLD;
      this.stream = { entry, offset: this.out.offset, crc: 0, compressed: 0, zip64 };
      const method = this.level > 0 ? METHOD_DEFLATE : METHOD_STORE;
      await this.out.append(
        localHeader({
          name: Buffer.from(entry.name),
          method,
          flags,
          mtimeMs: entry.mtimeMs,
          crc: 0,
          compressedSize: 0,
          size: 0,
          zip64,
        }),
      );
    }
    const s = this.stream!;
    s.crc = unit.first ? crc : crc32Combine(s.crc, crc, unit.length);
    s.compressed += data.length;
    await this.out.append(data, () => this.recycle(data.buffer));
    if (!unit.last) return;
    await this.out.append(dataDescriptor(s.crc, s.compressed, entry.size, s.zip64));
    this.record(entry, {
      method: this.level > 0 ? METHOD_DEFLATE : METHOD_STORE,
      flags,
      crc: s.crc,
      compressedSize: s.compressed,
      offset: s.offset,
      zip64Local: s.zip64,
    });
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

/** Writes `entries` as a zip at `path` (created or truncated), fsynced before it resolves. */
export async function writeZip(
  path: string,
  entries: readonly SourceEntry[],
  options: WriteZipOptions,
): Promise<WriteZipResult> {
  const sizes = options.sizes ?? DEFAULT_UNIT_SIZES;
  const windowBytes = options.windowBytes ?? 16 * 1024 * 1024;
  const maxUnits = options.pool.size * 3;
  const progress: ZipProgress = {
    bytesDone: 0,
    bytesTotal: 0,
    entriesDone: 0,
    entriesTotal: entries.length,
  };
  for (const e of entries) if (e.kind === 'file') progress.bytesTotal += e.size;

  const fh = await open(path, 'w', 0o644);
  try {
    const builder = new ZipBuilder(new OrderedOutput(fh), options.level, (b) =>
      options.pool.recycle(b),
    );
    const window: { unit: ZipUnit; result: Promise<Settled> }[] = [];
    let inFlight = 0;
    const writeHead = async () => {
      const head = window.shift()!;
      const settled = await head.result;
      inFlight -= unitBytes(head.unit);
      throwIfAborted(options.signal);
      if (head.unit.kind === 'block') {
        await builder.block(head.unit, settled);
        if (head.unit.last) progress.entriesDone += 1;
      } else {
        if (!settled.ok) throw settled.error;
        await builder.batch(head.unit.entries, settled.value as DeflateFilesResult);
        progress.entriesDone += head.unit.entries.length;
      }
      progress.bytesDone += unitBytes(head.unit);
      options.onProgress?.({ ...progress });
    };
    for (const unit of zipUnits(entries, sizes)) {
      throwIfAborted(options.signal);
      while (
        window.length > 0 &&
        (window.length >= maxUnits || inFlight + unitBytes(unit) > windowBytes)
      )
        await writeHead();
      window.push({ unit, result: startUnit(unit, options) });
      inFlight += unitBytes(unit);
    }
    while (window.length > 0) await writeHead();
    await builder.finish(options.forceZip64 ?? false);
    const sha256 = await builder.out.finish();
    return {
      entries: builder.written,
      skipped: builder.skipped,
      zipBytes: builder.out.offset,
      sha256,
    };
  } finally {
    await fh.close();
  }
}
