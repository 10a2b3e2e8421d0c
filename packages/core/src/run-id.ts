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
