/**
 * The one way runwarden puts a file in place (reports, archive manifests,
 * zips): write a temp file in the same folder, fsync it, rename it over the
 * final name, fsync the folder. A reader sees the old file or the new one,
 * never part of one, even after a crash or a kill -9.
 *
 * Temp names are `.<final name>.tmp-<pid>-<base36 time and random>`: hidden,
 * in the same folder (so the rename is atomic), and recognisable, so whoever
 * writes a file next can remove the temps a killed writer left (`isTempOf`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

const TEMP_MARK = '.tmp-';
/** What follows the mark: `<pid>-<base36>`, no dot, so `a.zip`'s temps never match `a.zip.json`'s. */
const TEMP_SUFFIX = /^\d+-[0-9a-z]+$/;

/** A fresh temp path beside `file`. */
export function tempPathFor(file: string): string {
  const unique = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}${TEMP_MARK}${process.pid}-${unique}`,
  );
}

/** Whether `name` (a file name in the same folder) is a temp of the file named `finalName`. */
export function isTempOf(name: string, finalName: string): boolean {
  const prefix = `.${finalName}${TEMP_MARK}`;
  return name.startsWith(prefix) && TEMP_SUFFIX.test(name.slice(prefix.length));
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface CommitOptions {
  /**
   * fsync the folder after the rename (default). A caller that renames several
   * files into one folder passes false for all but the last: one folder fsync
   * makes every rename before it durable.
   */
  syncDir?: boolean;
}

/** Renames a complete, fsynced temp file over `file`; the temp is removed if that fails. */
export async function commitFile(
  temp: string,
  file: string,
  options: CommitOptions = {},
): Promise<void> {
  try {
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  if (options.syncDir ?? true) await syncDir(path.dirname(file));
}

/** Writes `content` to `file` atomically (see the module comment), creating its folder. */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  options: CommitOptions = {},
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = tempPathFor(file);
  try {
    const handle = await open(temp, 'w', 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await commitFile(temp, file, options);
}
