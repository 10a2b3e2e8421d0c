/**
 * A zip thread: reads source files or zip ranges with plain synchronous I/O
 * (this is not the event loop BullMQ needs), checksums and (de)compresses
 * them. The main thread only orders results and writes.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parentPort } from 'node:worker_threads';
import zlib from 'node:zlib';
import { KINDS } from './entry-table.js';
import { BATCH_INFO_FIELDS } from './thread-tasks.js';
import { localHeader, METHOD_DEFLATE, METHOD_STORE, nameFlags } from './zip-format.js';
import { displayName, splitNs } from './entry-table.js';
import type {
  DeflateBlockResult,
  DeflateBlockTask,
  DeflateFilesResult,
  DeflateFilesTask,
  EntryCheck,
  FileState,
  InflateItem,
  InflateLargeTask,
  InflateRangeTask,
  InflateResult,
  ThreadRequest,
  ThreadResponse,
  ThreadTask,
} from './thread-tasks.js';

/** Never follow a symlink swapped in after the scan; never block on a FIFO. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * One read buffer per thread, reused: allocating a fresh one per file or
 * block leaves GC to reclaim tens of MiB of external memory late, per thread.
 * Anything kept past the next read is copied out of it.
 */
let scratch = Buffer.allocUnsafeSlow(0);

/** Reads up to `length` bytes at `position`; fewer when the file ends first. */
function readUpTo(fd: number, position: number, length: number): Buffer {
  if (scratch.length < length)
    scratch = Buffer.allocUnsafeSlow(Math.max(length, 2 * 1024 * 1024 + 64 * 1024));
  const buf = scratch.subarray(0, length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

function readExact(fd: number, position: number, length: number, what: string): Buffer {
  const buf = readUpTo(fd, position, length);
  if (buf.length < length) throw new Error(`${what} ended after ${buf.length} of ${length} bytes`);
  return buf;
}

function fileState(fd: number): FileState {
  const st = fstatSync(fd, { bigint: true });
  return { size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

function sameState(a: FileState, b: FileState): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

function openRegular(path: Uint8Array): number {
  const fd = openSync(path as Buffer, OPEN_FLAGS);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw Object.assign(new Error(`${displayName(path)} is no longer a regular file`), {
      code: 'NOT_REGULAR',
    });
  }
  return fd;
}

const PROBE_PIECES = 4;
const PROBE_PIECE = 4096;

/**
 * Deflating random data (weights, already-compressed files) costs ~50 ms per
 * MiB at any level and gains nothing: a quick level-1 probe of four pieces
 * spread over the data says whether to bother. Incompressible data is then
 * stored (level 0), which still is a valid deflate stream.
 */
function worthDeflating(raw: Buffer): boolean {
  if (raw.length < 64 * 1024) return true;
  const step = Math.floor(raw.length / PROBE_PIECES);
  const pieces = Array.from({ length: PROBE_PIECES }, (_, i) =>
    raw.subarray(i * step, i * step + PROBE_PIECE),
  );
  const sample = Buffer.concat(pieces);
  return zlib.deflateRawSync(sample, { level: 1 }).length < sample.length * 0.92;
}

/** Deflates `raw` in one zlib call whose output fits one chunk (see outputChunk). */
function compress(raw: Buffer, level: number, options: zlib.ZlibOptions = {}): Buffer {
  return zlib.deflateRawSync(raw, { level, chunkSize: outputChunk(raw.length), ...options });
}

/** Room for deflate's output in one chunk, even when the data does not compress. */
const CHUNK_LIMIT = 2 * 1024 * 1024;

/**
 * zlib's output chunk for `bytes` of input (or output, inflating): one chunk
 * a little larger than the data, so a file or block costs one allocation
 * (under 4 KiB, a slice of Node's shared pool) rather than a series of
 * 16–64 KiB buffers plus the copy that joins them, all garbage until the
 * thread's next GC.
 */
function outputChunk(bytes: number): number {
  return Math.min(CHUNK_LIMIT, Math.max(64, bytes + (bytes >>> 4) + 64));
}

/** A small file that grew past this while being archived is read only up to its listed size. */
const SMALL_FILE_LIMIT = 8 * 1024 * 1024;

interface SmallRead {
  raw: Buffer;
  state: FileState;
  changed: boolean;
}

/**
 * A small file read whole, between two `fstat`s: when its size, mtime or
 * ctime moved while it was read, it is read once more, and if it moved
 * again the last read is kept and marked as changed.
 */
function readSmallFile(path: Uint8Array, listedSize: number): SmallRead {
  let last: SmallRead | undefined;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const fd = openRegular(path);
    try {
      const before = fileState(fd);
      const size = before.size <= SMALL_FILE_LIMIT ? before.size : listedSize;
      const raw = readUpTo(fd, 0, size);
      const after = fileState(fd);
      const changed = !sameState(before, after) || raw.length !== after.size;
      last = { raw, state: after, changed };
      if (!changed) return last;
    } finally {
      closeSync(fd);
    }
  }
  return last!;
}

/**
 * A small file read, checksummed and deflated when that pays. Stored data
 * is returned as a view of the read buffer: copy it before the next read.
 */
function deflateFile(
  path: Uint8Array,
  size: number,
  level: number,
): { crc: number; method: number; data: Buffer; size: number; state: FileState; changed: boolean } {
  const { raw, state, changed } = readSmallFile(path, size);
  const crc = zlib.crc32(raw);
  const read = { size: raw.length, state, changed };
  if (level > 0 && worthDeflating(raw)) {
    const packed = compress(raw, level);
    if (packed.length < raw.length) return { crc, method: METHOD_DEFLATE, data: packed, ...read };
  }
  return { crc, method: METHOD_STORE, data: raw, ...read };
}

/**
 * Output buffers handed back by the main thread once their bytes are written
 * (see ThreadPool.recycle): results are built in one of these, so the zip's
 * data does not leave a trail of fresh buffers on either side for the
 * garbage collector to find late.
 */
const spares: ArrayBuffer[] = [];
/** A unit needs one output; a few spares cover sizes that vary. */
const MAX_SPARES = 4;

/** A buffer of at least `bytes` with an ArrayBuffer of its own, to be transferred with the result. */
function outputBuffer(bytes: number): Buffer {
  const i = spares.findIndex((b) => b.byteLength >= bytes);
  if (i >= 0) return Buffer.from(spares.splice(i, 1)[0]!, 0, bytes);
  return Buffer.from(new ArrayBuffer(Math.max(bytes, MIN_OUTPUT)), 0, bytes);
}

/** Outputs are at least a block and its headers, so most can be reused for any unit. */
const MIN_OUTPUT = 1024 * 1024 + 64 * 1024;

const EMPTY = Buffer.alloc(0);
const KIND_FILE = KINDS.indexOf('file');
const KIND_SYMLINK = KINDS.indexOf('symlink');
/** A local header without its name: 30 fixed bytes and the time fields (at most 9 + 36). */
const LOCAL_HEADER_FIXED = 30 + 45;

function copyOut(data: Buffer): Buffer {
  const out = outputBuffer(data.length);
  data.copy(out);
  return out;
}

interface BatchEntry {
  name: Buffer;
  crc: number;
  method: number;
  data: Buffer;
  size: number;
  mtimeSec: number;
  mtimeNsec: number;
  changed: boolean;
}

/**
 * Entry i of a batch: its name, and its data as stored (a file's, deflated
 * when that pays; a link's target; or nothing), with the size and mtime it
 * had when read.
 */
function batchEntry(
  task: DeflateFilesTask,
  root: Buffer,
  links: ReadonlyMap<number, Uint8Array>,
  i: number,
): BatchEntry {
  const start = i === 0 ? 0 : task.nameEnds[i - 1]!;
  const name = Buffer.from(
    task.names.buffer,
    task.names.byteOffset + start,
    task.nameEnds[i]! - start,
  );
  const kind = task.kinds[i];
  const size = task.sizes[i]!;
  const listed = { mtimeSec: task.mtimeSecs[i]!, mtimeNsec: task.mtimeNsecs[i]!, changed: false };
  if (kind === KIND_SYMLINK) {
    const target = Buffer.from(links.get(i) ?? EMPTY);
    const data = { crc: zlib.crc32(target), method: METHOD_STORE, data: target };
    return { name, ...data, size: target.length, ...listed };
  }
  if (kind !== KIND_FILE || size === 0)
    return { name, crc: 0, method: METHOD_STORE, data: EMPTY, size: 0, ...listed };
  const read = deflateFile(Buffer.concat([root, SLASH, name]), size, task.level);
  const t = splitNs(read.state.mtimeNs);
  return { name, ...read, mtimeSec: t.sec, mtimeNsec: t.nsec };
}

const SLASH = Buffer.from('/');

/** `out` with room for `needed` bytes: a file that grew since it was listed can outgrow the batch's bound. */
function withRoom(out: Buffer, used: number, needed: number): Buffer {
  if (used + needed <= out.length) return out;
  const bigger = outputBuffer(Math.max(out.length * 2, used + needed));
  out.copy(bigger, 0, 0, used);
  return bigger;
}

function deflateFiles(task: DeflateFilesTask): DeflateFilesResult {
  const count = task.kinds.length;
  const info = new Float64Array(count * BATCH_INFO_FIELDS);
  const errors: DeflateFilesResult['errors'] = [];
  const links = new Map(task.links);
  const root = Buffer.from(task.root);
  // Stored data is never larger than the source and deflated data is kept
  // only when smaller, so this bound holds unless a file grew: one buffer,
  // written as we go.
  let bound = task.names.length;
  for (let i = 0; i < count; i += 1) bound += LOCAL_HEADER_FIXED + task.sizes[i]!;
  let out = outputBuffer(bound);
  let at = 0;
  for (let i = 0; i < count; i += 1) {
    let stored: BatchEntry;
    try {
      stored = batchEntry(task, root, links, i);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      errors.push({ index: i, code: e.code ?? 'ERROR', message: e.message });
      continue;
    }
    const { name, crc, method, data, size, mtimeSec, mtimeNsec, changed } = stored;
    const flags = nameFlags(name);
    const header = localHeader({
      name,
      method,
      flags,
      mtimeSec,
      mtimeNsec,
      crc,
      compressedSize: data.length,
      size,
      zip64: false,
    });
    out = withRoom(out, at, header.length + data.length);
    info.set(
      [1, method, flags, crc, data.length, at, size, mtimeSec, mtimeNsec, changed ? 1 : 0],
      i * BATCH_INFO_FIELDS,
    );
    at += header.copy(out, at);
    at += data.copy(out, at);
  }
  return { info, data: out.subarray(0, at), errors };
}

function deflateBlock(task: DeflateBlockTask): DeflateBlockResult {
  const fd = openRegular(task.path);
  let raw: Buffer;
  let before: FileState;
  let after: FileState;
  try {
    before = fileState(fd);
    raw = readUpTo(fd, task.offset - task.dictLength, task.length + task.dictLength);
    after = fileState(fd);
  } finally {
    closeSync(fd);
  }
  const block = raw.subarray(Math.min(task.dictLength, raw.length));
  const dictLength = raw.length - block.length;
  const crc = zlib.crc32(block);
  const read = { crc, length: block.length, before, after };
  if (task.level === 0) return { ...read, data: copyOut(block) };
  const options: zlib.ZlibOptions = {
    finishFlush: task.last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
  };
  const level = worthDeflating(block) ? task.level : 0;
  if (dictLength > 0 && level > 0) options.dictionary = raw.subarray(0, dictLength);
  return { ...read, data: copyOut(compress(block, level, options)) };
}

/** Offset of an entry's data, after checking its local header against the central record. */
function dataOffset(buf: Buffer, at: number, item: InflateItem): number {
  if (buf.readUInt32LE(at) !== 0x04034b50)
    throw new Error('no local header where the central directory points');
  const nameLength = buf.readUInt16LE(at + 26);
  const extraLength = buf.readUInt16LE(at + 28);
  if (!Buffer.from(item.name).equals(buf.subarray(at + 30, at + 30 + nameLength))) {
    throw new Error('local header name differs from the central directory');
  }
  return at + 30 + nameLength + extraLength;
}

function checkEntry(buf: Buffer, base: number, item: InflateItem): EntryCheck {
  try {
    const start = dataOffset(buf, item.localOffset - base, item);
    const data = buf.subarray(start, start + item.compressedSize);
    if (data.length !== item.compressedSize)
      throw new Error('entry data runs past the end of the file');
    const out =
      item.method === 0
        ? data
        : zlib.inflateRawSync(data, {
            maxOutputLength: Math.max(item.size, 1),
            chunkSize: outputChunk(item.size),
          });
    return { ok: true, crc: zlib.crc32(out), size: out.length };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

function inflateRange(task: InflateRangeTask): InflateResult {
  const fd = openSync(task.zipPath, constants.O_RDONLY);
  let buf: Buffer;
  try {
    buf = readExact(fd, task.start, task.end - task.start, task.zipPath);
  } finally {
    closeSync(fd);
  }
  return { entries: task.entries.map((item) => checkEntry(buf, task.start, item)) };
}

const LARGE_PIECE = 1 << 20;

/**
 * Streams a large entry through CRC-32 (and inflate) in 1 MiB pieces read
 * into the thread's one read buffer: a file stream allocated a fresh 1 MiB
 * per read, and so did inflate per output chunk, garbage that piled up by
 * the tens of MiB per thread before a GC. Stored entries need no inflate.
 */
async function inflateLarge(task: InflateLargeTask): Promise<InflateResult> {
  const { entry } = task;
  const fd = openSync(task.zipPath, constants.O_RDONLY);
  try {
    const fixed = Buffer.from(readExact(fd, entry.localOffset, 30, task.zipPath));
    const variable = readExact(
      fd,
      entry.localOffset + 30,
      fixed.readUInt16LE(26) + fixed.readUInt16LE(28),
      task.zipPath,
    );
    const start = entry.localOffset + dataOffset(Buffer.concat([fixed, variable]), 0, entry);
    return { entries: [await checkLarge(fd, start, entry, task.zipPath)] };
  } catch (err) {
    return { entries: [{ ok: false, message: (err as Error).message }] };
  } finally {
    closeSync(fd);
  }
}

async function checkLarge(
  fd: number,
  start: number,
  entry: InflateItem,
  zipPath: string,
): Promise<EntryCheck> {
  let crc = 0;
  let size = 0;
  const inflate = entry.method === 0 ? undefined : zlib.createInflateRaw({ chunkSize: 64 * 1024 });
  let failure: Error | undefined;
  inflate?.on('data', (chunk: Buffer) => {
    crc = zlib.crc32(chunk, crc);
    size += chunk.length;
  });
  inflate?.on('error', (err: Error) => (failure = err));
  for (let at = 0; at < entry.compressedSize && !failure; at += LARGE_PIECE) {
    const piece = readExact(
      fd,
      start + at,
      Math.min(LARGE_PIECE, entry.compressedSize - at),
      zipPath,
    );
    if (!inflate) {
      crc = zlib.crc32(piece, crc);
      size += piece.length;
      continue;
    }
    // The piece is the shared read buffer: wait until inflate has consumed it.
    await new Promise<void>((resolve) => inflate.write(piece, () => resolve()));
  }
  if (inflate && !failure) {
    inflate.end();
    await finished(inflate).catch((err: Error) => (failure ??= err));
  }
  inflate?.destroy();
  if (failure) return { ok: false, message: failure.message };
  return { ok: true, crc, size };
}

async function handle(task: ThreadTask): Promise<ThreadResponse & { ok: true }> {
  switch (task.kind) {
    case 'deflate-files':
      return { id: 0, ok: true, result: deflateFiles(task) };
    case 'deflate-block':
      return { id: 0, ok: true, result: deflateBlock(task) };
    case 'inflate-range':
      return { id: 0, ok: true, result: inflateRange(task) };
    case 'inflate-large':
      return { id: 0, ok: true, result: await inflateLarge(task) };
  }
}

parentPort?.on('message', (request: ThreadRequest) => {
  if (request.output && spares.length < MAX_SPARES) spares.push(request.output);
  handle(request.task).then(
    (response) => {
      const { result } = response;
      const transfer: ArrayBuffer[] = [];
      if ('data' in result) transfer.push(result.data.buffer as ArrayBuffer);
      if ('info' in result) transfer.push(result.info.buffer as ArrayBuffer);
      parentPort?.postMessage({ ...response, id: request.id } satisfies ThreadResponse, transfer);
    },
    (err: NodeJS.ErrnoException) =>
      parentPort?.postMessage({
        id: request.id,
        ok: false,
        error: { message: err.message, code: err.code },
      } satisfies ThreadResponse),
  );
});
