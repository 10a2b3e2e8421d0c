/**
 * Output of a zip being written: buffers are hashed (SHA-256) as they are
 * appended, gathered, and written with one `writev` per MiB.
 *
 * A large entry's local header is written before its CRC and sizes are
 * known and rewritten in place once they are (`patch`). From `holdHash`
 * until `releaseHash` appended bytes are not hashed; releasing reads that
 * stretch back from the file (the page cache, just written) and hashes it,
 * so the hash is always the file's as it ends up. While held, the output can
 * also go back (`truncate`) to re-write an entry whose source changed.
 */
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

const FLUSH_AT = 1024 * 1024;
/**
 * Buffers handed back once written are often much larger than what they
 * hold (a batch of folders is a few KiB in a 1 MiB buffer): flush by the
 * memory they keep alive too, not only by the bytes appended.
 */
const HOLD_AT = 4 * 1024 * 1024;

export class OrderedOutput {
  /** Bytes appended so far: the offset of the next byte. */
  offset = 0;
  private readonly hash: Hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of the buffers pending with a callback, whole. */
  private heldBytes = 0;
  /** Called once the buffers appended so far are written. */
  private written: (() => void)[] = [];
  /** Bytes in the file: where the next `writev` goes. */
  private flushed = 0;
  /** Where hashing stopped, while a stretch is held back to be patched. */
  private heldFrom: number | undefined;

  constructor(private readonly fh: FileHandle) {}

  /** Appends `buf`; `onWritten` is called once it is in the file and may be reused. */
  async append(buf: Uint8Array, onWritten?: () => void): Promise<void> {
    if (onWritten) {
      this.written.push(onWritten);
      this.heldBytes += buf.buffer.byteLength;
    }
    if (buf.length === 0) return;
    if (this.heldFrom === undefined) this.hash.update(buf);
    this.pending.push(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
    this.pendingBytes += buf.length;
    this.offset += buf.length;
    if (this.pendingBytes >= FLUSH_AT || this.heldBytes >= HOLD_AT) await this.flush();
  }

  async flush(): Promise<void> {
    let buffers = this.pending;
    const written = this.written;
    this.pending = [];
    this.pendingBytes = 0;
    this.heldBytes = 0;
    this.written = [];
    // writev takes at most IOV_MAX (1024) buffers per call and may write part of them.
    while (buffers.length > 0) {
      const batch = buffers.slice(0, 1024);
      let { bytesWritten } = await this.fh.writev(batch, this.flushed);
      this.flushed += bytesWritten;
      let used = 0;
      while (used < batch.length && bytesWritten >= batch[used]!.length)
        bytesWritten -= batch[used++]!.length;
      const rest = buffers.slice(used);
      if (bytesWritten > 0 && rest[0]) rest[0] = rest[0].subarray(bytesWritten);
      buffers = rest;
    }
    for (const done of written) done();
  }

  /** Stops hashing at the current offset (if not stopped already): what follows may be patched. */
  holdHash(): void {
    this.heldFrom ??= this.offset;
  }

  /** Overwrites bytes already appended, at or after where hashing was held. */
  async patch(at: number, bytes: Uint8Array): Promise<void> {
    if (this.heldFrom === undefined || at < this.heldFrom || at + bytes.length > this.offset)
      throw new Error(`cannot patch ${bytes.length} bytes at ${at}: not in the held-back stretch`);
    await this.flush();
    let done = 0;
    while (done < bytes.length)
      done += (await this.fh.write(bytes, done, bytes.length - done, at + done)).bytesWritten;
  }

  /** Drops everything after `offset` (within the held-back stretch). */
  async truncate(offset: number): Promise<void> {
    if (this.heldFrom === undefined || offset < this.heldFrom)
      throw new Error(`cannot truncate to ${offset}: not in the held-back stretch`);
    await this.flush();
    await this.fh.truncate(offset);
    this.offset = offset;
    this.flushed = offset;
  }

  /** Hashes the held-back stretch as it now is in the file, and hashes appends again. */
  async releaseHash(): Promise<void> {
    if (this.heldFrom === undefined) return;
    await this.flush();
    const piece = Buffer.allocUnsafe(Math.min(FLUSH_AT, Math.max(1, this.offset - this.heldFrom)));
    for (let at = this.heldFrom; at < this.offset;) {
      const { bytesRead } = await this.fh.read(
        piece,
        0,
        Math.min(piece.length, this.offset - at),
        at,
      );
      if (bytesRead === 0) throw new Error(`the zip ended at ${at} of ${this.offset} bytes`);
      this.hash.update(piece.subarray(0, bytesRead));
      at += bytesRead;
    }
    this.heldFrom = undefined;
  }

  /** Flushes, fsyncs and returns the SHA-256 (hex) of everything appended. */
  async finish(): Promise<string> {
    await this.releaseHash();
    await this.flush();
    await this.fh.sync();
    return this.hash.digest('hex');
  }
}
