/**
 * The space check that comes before anything is written: free space on the
 * archive folder's filesystem must be at least `factor` × the source's size.
 */
import { statfs } from 'node:fs/promises';
import { RunwardenError } from '@runwarden/core';

export interface DiskSpace {
  /** Bytes an unprivileged process may still write there. */
  freeBytes: number;
  requiredBytes: number;
}

export interface CheckDiskSpaceOptions {
  /** A folder on the filesystem that will hold the archive. */
  dir: string;
  sourceBytes: number;
  /** @defaultValue 1.5 */
  factor?: number;
  /** For the message: which run this is about. */
  runId?: string;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Resolves with the figures, or throws a RunwardenError with code DISK_SPACE. */
export async function checkDiskSpace(options: CheckDiskSpaceOptions): Promise<DiskSpace> {
  const factor = options.factor ?? 1.5;
  const fs = await statfs(options.dir);
  const space: DiskSpace = {
    freeBytes: fs.bavail * fs.bsize,
    requiredBytes: Math.ceil(options.sourceBytes * factor),
  };
  if (space.freeBytes < space.requiredBytes) {
    const run = options.runId ? ` for run ${options.runId}` : '';
    throw new RunwardenError(
      'DISK_SPACE',
      `not enough free space in ${options.dir}${run}: ${mib(space.freeBytes)} free, ${mib(space.requiredBytes)} needed ` +
        `(${factor} × ${mib(options.sourceBytes)} of source); nothing was written. Free space there or lower archive.diskSpaceFactor.`,
    );
  }
  return space;
}
