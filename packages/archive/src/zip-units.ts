/**
 * How a worktree listing is cut into units of work for the zip threads:
 * small files in batches (one task, one message for hundreds of files),
 * large files in blocks that deflate in parallel. Entries with no data to
 * read (folders, symlinks, empty files) ride along in the batches.
 */
import type { SourceEntry } from './scan-worktree.js';

export type ZipUnit =
  /** Entries in listing order; only non-empty files are sent to a thread. */
  | { kind: 'files'; entries: SourceEntry[]; bytes: number }
  | {
      kind: 'block';
      entry: SourceEntry;
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

export function* zipUnits(
  entries: readonly SourceEntry[],
  sizes: UnitSizes = DEFAULT_UNIT_SIZES,
): Generator<ZipUnit> {
  let batch: SourceEntry[] = [];
  let batchBytes = 0;
  const closeBatch = function* (): Generator<ZipUnit> {
    if (batch.length > 0) yield { kind: 'files', entries: batch, bytes: batchBytes };
    batch = [];
    batchBytes = 0;
  };
  for (const entry of entries) {
    if (entry.kind !== 'file' || entry.size <= sizes.blockSize) {
      batch.push(entry);
      if (entry.kind === 'file') batchBytes += entry.size;
      if (batchBytes >= sizes.batchBytes || batch.length >= sizes.batchFiles) yield* closeBatch();
    } else {
      yield* closeBatch();
      for (let offset = 0; offset < entry.size; offset += sizes.blockSize) {
        const length = Math.min(sizes.blockSize, entry.size - offset);
        yield {
          kind: 'block',
          entry,
          offset,
          length,
          first: offset === 0,
          last: offset + length >= entry.size,
        };
      }
    }
  }
  yield* closeBatch();
}
