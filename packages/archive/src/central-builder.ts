/**
 * The central directory of a zip being written, kept as its bytes: headers
 * are written straight into 1 MiB buffers as entries are recorded, so a tree
 * of 100,000 files costs a few MiB of bytes rather than 100,000 objects the
 * garbage collector has to trace (and promote) while the zip is written.
 */
import { centralHeaderLength, writeCentralHeader, type CentralRecord } from './zip-format.js';

const CHUNK = 1024 * 1024;

export class CentralDirectoryBuilder {
  /** Entries recorded so far. */
  count = 0;
  private readonly full: Buffer[] = [];
  private current: Buffer = Buffer.alloc(0);
  private used = 0;

  add(record: CentralRecord): void {
    const length = centralHeaderLength(record);
    if (this.current.length - this.used < length) {
      if (this.used > 0) this.full.push(this.current.subarray(0, this.used));
      this.current = Buffer.allocUnsafeSlow(Math.max(CHUNK, length));
      this.used = 0;
    }
    this.used += writeCentralHeader(this.current, this.used, record);
    this.count += 1;
  }

  /** The directory's bytes, in order. */
  buffers(): Buffer[] {
    return this.used > 0 ? [...this.full, this.current.subarray(0, this.used)] : [...this.full];
  }
}
