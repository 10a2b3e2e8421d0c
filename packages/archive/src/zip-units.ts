/**
 * How a worktree listing is cut into units of work for the zip threads:
 * small files in batches (one task, one message for hundreds of files),
 * large files in blocks that deflate in parallel. Entries with no data to
 * read (folders, symlinks, empty files) ride along in the batches.
 */
import type { EntryTable } from './entry-table.js';

export type ZipUnit =
  /** Entries [start, end) of the listing; only non-empty files are read. */
  | { kind: 'files'; start: number; end: number; bytes: number }
  | {
      kind: 'block';
      /** The file's index in the listing. */
      index: number;
      offset: number;
      length: number;
      first: boolean;
      last: boolean;
    };

export interface UnitSizes {
  /** Files up to this size are read whole; larger ones are cut into blocks of it. */
  blockSize: number;
  /** A batch of small files closes at this many bytes… */
  batchBytes: number;
  /** …or this many files. */
  batchFiles: number;
}

export const DEFAULT_UNIT_SIZES: UnitSizes = {
  blockSize: 1024 * 1024,
  batchBytes: 1024 * 1024,
  batchFiles: 256,
};

/** Bytes a unit will read: what the in-flight window is measured in. */
export function unitBytes(unit: ZipUnit): number {
  switch (unit.kind) {
    case 'files':
      return unit.bytes;
    case 'block':
      return unit.length;
  }
}

/** The blocks of file `index`, of `size` bytes. */
export function* fileBlocks(
  index: number,
  size: number,
  blockSize: number,
): Generator<Extract<ZipUnit, { kind: 'block' }>> {
  for (let offset = 0; offset < size; offset += blockSize) {
    const length = Math.min(blockSize, size - offset);
    yield {
      kind: 'block',
      index,
      offset,
      length,
      first: offset === 0,
      last: offset + length >= size,
    };
  }
}

export function* zipUnits(
  entries: EntryTable,
  sizes: UnitSizes = DEFAULT_UNIT_SIZES,
): Generator<ZipUnit> {
  let start = 0;
  let batchBytes = 0;
  for (let i = 0; i < entries.count; i += 1) {
    const isFile = entries.kind(i) === 'file';
    const size = isFile ? entries.size(i) : 0;
    if (size <= sizes.blockSize) {
      batchBytes += size;
      if (batchBytes >= sizes.batchBytes || i + 1 - start >= sizes.batchFiles) {
        yield { kind: 'files', start, end: i + 1, bytes: batchBytes };
        start = i + 1;
        batchBytes = 0;
      }
      continue;
    }
    if (i > start) yield { kind: 'files', start, end: i, bytes: batchBytes };
    yield* fileBlocks(i, size, sizes.blockSize);
    start = i + 1;
    batchBytes = 0;
  }
  if (entries.count > start) yield { kind: 'files', start, end: entries.count, bytes: batchBytes };
}
