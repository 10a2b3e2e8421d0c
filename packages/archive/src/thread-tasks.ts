/**
 * Messages between the main thread and the zip threads. Plain data only:
 * they cross `postMessage` by structured clone.
 */

/**
 * Consecutive entries of the listing with little or no data, as columns:
 * small files are read, checksummed and deflated whole, and every entry comes
 * back as its local header and data, ready to append. One task, one message
 * for hundreds of entries, and no per-entry work left for the main thread but
 * its central directory record.
 */
export interface DeflateFilesTask {
  kind: 'deflate-files';
  level: number;
  /** The worktree: a file's path is root/name. */
  root: string;
  /** The entries' names, UTF-8, back to back; entry i's ends at nameEnds[i]. */
  names: Uint8Array;
  nameEnds: Float64Array;
  /** Each entry's kind, as an index into `KINDS` (entry-table.ts). */
  kinds: Uint8Array;
  sizes: Float64Array;
  mtimes: Float64Array;
  /** Symlink targets by entry (index in this batch). */
  links: [number, string][];
}

/**
 * One block of a large file, deflated on its own (pigz style): the 32 KiB
 * before it are the dictionary, and every block but the last ends with a
 * sync flush, so the blocks concatenate into one valid deflate stream.
 */
export interface DeflateBlockTask {
  kind: 'deflate-block';
  level: number;
  path: string;
  offset: number;
  length: number;
  dictLength: number;
  last: boolean;
}

/** Where an entry sits in a zip, from its central directory record. */
export interface InflateItem {
  localOffset: number;
  name: Uint8Array;
  method: number;
  compressedSize: number;
  size: number;
}

/** Consecutive entries of a zip read with one `read` and checked one by one. */
export interface InflateRangeTask {
  kind: 'inflate-range';
  zipPath: string;
  start: number;
  end: number;
  entries: InflateItem[];
}

/** One large entry, streamed through inflate. */
export interface InflateLargeTask {
  kind: 'inflate-large';
  zipPath: string;
  entry: InflateItem;
}

export type ThreadTask = DeflateFilesTask | DeflateBlockTask | InflateRangeTask | InflateLargeTask;

/** Numbers per entry in `DeflateFilesResult.info`. */
export const BATCH_INFO_FIELDS = 6;

/**
 * Per entry, `BATCH_INFO_FIELDS` numbers: written (1) or left out (0),
 * method, flags, CRC-32, compressed size, and offset of its local header in `data`.
 */
export interface DeflateFilesResult {
  info: Float64Array;
  /** Local headers and data of the written entries, back to back, in one transferred buffer. */
  data: Uint8Array;
  /** Entries left out because they could not be read. */
  errors: { index: number; code: string; message: string }[];
}

export interface DeflateBlockResult {
  crc: number;
  data: Uint8Array;
}

export type EntryCheck = { ok: true; crc: number; size: number } | { ok: false; message: string };

export interface InflateResult {
  entries: EntryCheck[];
}

export interface ThreadResultMap {
  'deflate-files': DeflateFilesResult;
  'deflate-block': DeflateBlockResult;
  'inflate-range': InflateResult;
  'inflate-large': InflateResult;
}

export interface ThreadRequest {
  id: number;
  task: ThreadTask;
  /** A written output buffer given back for the thread to build its next results in. */
  output?: ArrayBuffer;
}

export type ThreadResponse =
  | { id: number; ok: true; result: ThreadResultMap[keyof ThreadResultMap] }
  | { id: number; ok: false; error: { message: string; code?: string } };
