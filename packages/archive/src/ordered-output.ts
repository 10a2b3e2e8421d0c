/**
 * Append-only output of a zip being written: buffers are hashed (SHA-256) as
 * they are appended, gathered, and written with one `writev` per MiB.
 * Nothing is ever rewritten, so the hash is the file's.
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

  constructor(private readonly fh: FileHandle) {}

  /** Appends `buf`; `onWritten` is called once it is in the file and may be reused. */
  async append(buf: Uint8Array, onWritten?: () => void): Promise<void> {
    if (onWritten) {
      this.written.push(onWritten);
      this.heldBytes += buf.buffer.byteLength;
    }
    if (buf.length === 0) return;
    this.hash.update(buf);
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
      let { bytesWritten } = await this.fh.writev(batch);
      let used = 0;
      while (used < batch.length && bytesWritten >= batch[used]!.length)
        bytesWritten -= batch[used++]!.length;
      const rest = buffers.slice(used);
      if (bytesWritten > 0 && rest[0]) rest[0] = rest[0].subarray(bytesWritten);
      buffers = rest;
    }
    for (const done of written) done();
  }

  /** Flushes, fsyncs and returns the SHA-256 (hex) of everything appended. */
  async finish(): Promise<string> {
    await this.flush();
    await this.fh.sync();
    return this.hash.digest('hex');
  }
}
