/**
 * Messages between the main thread and the zip threads. Plain data only:
 * they cross `postMessage` by structured clone.
 */

/** Files small enough to be read, checksummed and deflated whole, in one batch. */
export interface DeflateFilesTask {
  kind: 'deflate-files';
  level: number;
  files: { path: string; size: number }[];
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

/** Where one file's (compressed) bytes are in the batch's shared `data`. */
export type FileResult =
  | { ok: true; crc: number; method: number; start: number; length: number }
  | { ok: false; code: string; message: string };

export interface DeflateFilesResult {
  files: FileResult[];
  /** Every file's bytes back to back, in one transferred buffer. */
  data: Uint8Array;
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
}

export type ThreadResponse =
  | { id: number; ok: true; result: ThreadResultMap[keyof ThreadResultMap] }
  | { id: number; ok: false; error: { message: string; code?: string } };
