/** The part of archiver 8's API the benchmark uses (the package ships no types). */
declare module 'archiver' {
  import type { Writable } from 'node:stream';
  export class ZipArchive {
    constructor(options?: { zlib?: { level?: number } });
    pipe(destination: Writable): void;
    directory(dirpath: string, destpath: string | false): this;
    finalize(): Promise<void>;
  }
}
