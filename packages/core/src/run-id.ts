import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UnsafeRunIdError } from './errors.js';

/**
 * The longest run id, in UTF-8 bytes. File names are limited to 255 bytes
 * (NAME_MAX), and the longest name runwarden makes from a run id adds 41:
 * the HTML report's temp file `.<id>_summary.html.tmp-<pid>-<14 base36>`
 * (atomic-file.ts; a pid has at most 7 digits). Counting
 * UTF-16 units instead let 200 × `é` (400 bytes) through to `ENAMETOOLONG`.
 */
export const MAX_RUN_ID_BYTES = 200;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A run id becomes a file name (`.worktrees/<id>`, `.archive/<id>.zip`,
 * `reports/<id>_summary.json`), so it must not be able to name anything else.
 * Throws {@link UnsafeRunIdError}; callers turn that into an unrecoverable job failure.
 */
export function assertSafeRunId(runId: string): string {
  const reject = (reason: string): never => {
    throw new UnsafeRunIdError(runId, reason);
  };
  if (typeof runId !== 'string' || runId.length === 0) reject('it is empty');
  if (runId.trim() === '') reject('it is only white space');
  if (runId.trim() !== runId) reject('it begins or ends with white space');
  if (runId.includes('\0')) reject('it contains a NUL byte');
  if (runId.includes('/') || runId.includes('\\')) reject('it contains a path separator');
  if (runId === '.' || runId === '..' || runId.includes('..')) reject('it contains ".."');
  if (path.isAbsolute(runId)) reject('it is an absolute path');
  const bytes = Buffer.byteLength(runId, 'utf8');
  if (bytes > MAX_RUN_ID_BYTES)
    reject(`it is ${bytes} bytes long in UTF-8, more than ${MAX_RUN_ID_BYTES}`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f-\x9f]/.test(runId)) reject('it contains control characters');
  // Two different lone surrogates would both be written as U+FFFD: two runs, one file.
  if (LONE_SURROGATE.test(runId)) reject('it is not valid Unicode (a lone surrogate)');
  return runId;
}

/** Resolves `<folder>/<runId><suffix>` and proves it stays inside `folder`. */
export function pathForRun(folder: string, runId: string, suffix = ''): string {
  assertSafeRunId(runId);
  const base = path.resolve(folder);
  const full = path.resolve(base, `${runId}${suffix}`);
  if (path.dirname(full) !== base) throw new UnsafeRunIdError(runId, `it resolves outside ${base}`);
  return full;
}

/** Where a run's file really is: a regular file directly in its folder, absent, or elsewhere (refused). */
export type RunFileLocation =
  { file: string; bytes: number } | { absent: true } | { outside: string };

/**
 * Finds `<folder>/<run_id><suffix>` as whoever serves or sends it must: through
 * symlinks (`realpath`) and only when it is a regular file directly in the
 * folder, so a link placed there never hands out a file from elsewhere.
 */
export async function locateRunFile(
  folder: string,
  runId: string,
  suffix: string,
): Promise<RunFileLocation> {
  const candidate = pathForRun(folder, runId, suffix);
  let realFolder: string;
  let realFile: string;
  try {
    [realFolder, realFile] = await Promise.all([realpath(folder), realpath(candidate)]);
  } catch {
    return { absent: true };
  }
  if (path.dirname(realFile) !== realFolder) return { outside: realFile };
  const info = await stat(realFile);
  return info.isFile() ? { file: realFile, bytes: info.size } : { outside: realFile };
}

/** The board's page of a run, relative to the board's root: `runs/<run_id, percent-encoded>`. */
export function runPagePath(runId: string): string {
  return `runs/${encodeURIComponent(runId)}`;
}
