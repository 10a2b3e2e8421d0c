import path from 'node:path';
import { UnsafeRunIdError } from './errors.js';

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
  if (runId.includes('\0')) reject('it contains a NUL byte');
  if (runId.includes('/') || runId.includes('\\')) reject('it contains a path separator');
  if (runId === '.' || runId === '..' || runId.includes('..')) reject('it contains ".."');
  if (path.isAbsolute(runId)) reject('it is an absolute path');
  if (runId.length > 200) reject('it is longer than 200 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(runId)) reject('it contains control characters');
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
