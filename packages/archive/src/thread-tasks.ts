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
  /** The entries' names, as bytes, back to back; entry i's ends at nameEnds[i]. */
  names: Uint8Array;
  nameEnds: Float64Array;
  /** Each entry's kind, as an index into `KINDS` (entry-table.ts). */
  kinds: Uint8Array;
  sizes: Float64Array;
  mtimeSecs: Float64Array;
  mtimeNsecs: Uint32Array;
  /** Symlink targets by entry (index in this batch). */
  links: [number, Uint8Array][];
}

/**
 * One block of a large file, deflated on its own (pigz style): the 32 KiB
 * before it are the dictionary, and every block but the last ends with a
 * sync flush, so the blocks concatenate into one valid deflate stream.
 */
export interface DeflateBlockTask {
  kind: 'deflate-block';
  level: number;
  /** The file's path, as bytes. */
  path: Uint8Array;
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
export const BATCH_INFO_FIELDS = 10;

/**
 * Per entry, `BATCH_INFO_FIELDS` numbers: written (1) or left out (0),
 * method, flags, CRC-32, compressed size, offset of its local header in
 * `data`, size read, mtime (seconds, nanoseconds) when read, and 1 when it
 * kept changing while it was read (twice).
 */
export interface DeflateFilesResult {
  info: Float64Array;
  /** Local headers and data of the written entries, back to back, in one transferred buffer. */
  data: Uint8Array;
  /** Entries left out because they could not be read. */
  errors: { index: number; code: string; message: string }[];
}

/** A file's state as `fstat` gives it: what tells a change while it is read. */
export interface FileState {
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export interface DeflateBlockResult {
  crc: number;
  data: Uint8Array;
  /** Bytes read: less than asked when the file shrank. */
  length: number;
  /** The file before and after the block was read. */
  before: FileState;
  after: FileState;
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
