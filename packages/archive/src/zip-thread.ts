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
import type {
  DeflateBlockResult,
  DeflateBlockTask,
  DeflateFilesResult,
  DeflateFilesTask,
  EntryCheck,
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

class SourceChangedError extends Error {
  code = 'SOURCE_CHANGED';
}

/**
 * One read buffer per thread, reused: allocating a fresh one per file or
 * block leaves GC to reclaim tens of MiB of external memory late, per thread.
 * Anything kept past the next read is copied out of it.
 */
let scratch = Buffer.allocUnsafeSlow(0);

function readExact(fd: number, position: number, length: number, what: string): Buffer {
  if (scratch.length < length)
    scratch = Buffer.allocUnsafeSlow(Math.max(length, 2 * 1024 * 1024 + 64 * 1024));
  const buf = scratch.subarray(0, length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0)
      throw new SourceChangedError(
        `${what} ended after ${done} of ${length} bytes: it changed while being archived`,
      );
    done += n;
  }
  return buf;
}

function openRegular(path: string): number {
  const fd = openSync(path, OPEN_FLAGS);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw Object.assign(new Error(`${path} is no longer a regular file`), { code: 'NOT_REGULAR' });
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

/**
 * A small file read whole, checksummed and deflated when that pays. Stored
 * data is returned as a view of the read buffer: copy it before the next read.
 */
function deflateFile(
  path: string,
  size: number,
  level: number,
): { crc: number; method: number; data: Buffer } {
  const fd = openRegular(path);
  let raw: Buffer;
  try {
    raw = readExact(fd, 0, size, path);
  } finally {
    closeSync(fd);
  }
  const crc = zlib.crc32(raw);
  if (level > 0 && worthDeflating(raw)) {
    const packed = compress(raw, level);
    if (packed.length < size) return { crc, method: METHOD_DEFLATE, data: packed };
  }
  return { crc, method: METHOD_STORE, data: raw };
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
/** A local header without its name and ZIP64 field: 30 fixed bytes and the 9-byte timestamp. */
const LOCAL_HEADER_FIXED = 30 + 9;

function copyOut(data: Buffer): Buffer {
  const out = outputBuffer(data.length);
  data.copy(out);
  return out;
}

/**
 * Entry i of a batch: its name, and its data as stored (a file's, deflated
 * when that pays; a link's target text; or nothing).
 */
function batchEntry(
  task: DeflateFilesTask,
  links: ReadonlyMap<number, string>,
  i: number,
): { name: Buffer; crc: number; method: number; data: Buffer } {
  const start = i === 0 ? 0 : task.nameEnds[i - 1]!;
  const name = Buffer.from(
    task.names.buffer,
    task.names.byteOffset + start,
    task.nameEnds[i]! - start,
  );
  const kind = task.kinds[i];
  const size = task.sizes[i]!;
  if (kind === KIND_SYMLINK) {
    const target = Buffer.from(links.get(i) ?? '');
    return { name, crc: zlib.crc32(target), method: METHOD_STORE, data: target };
  }
  if (kind !== KIND_FILE || size === 0) return { name, crc: 0, method: METHOD_STORE, data: EMPTY };
  return { name, ...deflateFile(`${task.root}/${name.toString('utf8')}`, size, task.level) };
}

function deflateFiles(task: DeflateFilesTask): DeflateFilesResult {
  const count = task.kinds.length;
  const info = new Float64Array(count * BATCH_INFO_FIELDS);
  const errors: DeflateFilesResult['errors'] = [];
  const links = new Map(task.links);
  // Stored data is never larger than the source and deflated data is kept
  // only when smaller, so this bound holds: one buffer, written as we go.
  let bound = task.names.length;
  for (let i = 0; i < count; i += 1) bound += LOCAL_HEADER_FIXED + task.sizes[i]!;
  const out = outputBuffer(bound);
  let at = 0;
  for (let i = 0; i < count; i += 1) {
    let stored: ReturnType<typeof batchEntry>;
    try {
      stored = batchEntry(task, links, i);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      errors.push({ index: i, code: e.code ?? 'ERROR', message: e.message });
      continue;
    }
    const { name, crc, method, data } = stored;
    const flags = nameFlags(name);
    const header = localHeader({
      name,
      method,
      flags,
      mtimeMs: task.mtimes[i]!,
      crc,
      compressedSize: data.length,
      size: task.kinds[i] === KIND_SYMLINK ? data.length : task.sizes[i]!,
      zip64: false,
    });
    if (at + header.length + data.length > out.length)
      throw new Error(`batch output overflows its bound at ${name.toString('utf8')}`);
    info.set([1, method, flags, crc, data.length, at], i * BATCH_INFO_FIELDS);
    at += header.copy(out, at);
    at += data.copy(out, at);
  }
  return { info, data: out.subarray(0, at), errors };
}

function deflateBlock(task: DeflateBlockTask): DeflateBlockResult {
  const fd = openRegular(task.path);
  let raw: Buffer;
  try {
    raw = readExact(fd, task.offset - task.dictLength, task.length + task.dictLength, task.path);
  } finally {
    closeSync(fd);
  }
  const block = raw.subarray(task.dictLength);
  const crc = zlib.crc32(block);
  if (task.level === 0) return { crc, data: copyOut(block) };
  const options: zlib.ZlibOptions = {
    finishFlush: task.last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
  };
  const level = worthDeflating(block) ? task.level : 0;
  if (task.dictLength > 0 && level > 0) options.dictionary = raw.subarray(0, task.dictLength);
  return { crc, data: copyOut(compress(block, level, options)) };
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
