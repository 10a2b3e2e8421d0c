/**
 * A run's worktree to a verified `<archiveDir>/<run_id>.zip`, or a clear reason why not.
 *
 *   safe id? ─▶ stale temps removed ─▶ verified archive in place? ─▶ reuse it
 *   ─▶ worktree missing? ─▶ skipped ─▶ scan (no links followed out) ─▶ space ≥ factor × size?
 *   ─▶ write .<id>.zip.tmp-* (fsync) ─▶ verify against the source ─▶ manifest ─▶ rename ─▶ fsync dir
 *   ─▶ (optional) remove the worktree
 *
 * Nothing but a verified zip ever has the final name: a kill at any point
 * leaves at most a temp file, which the next attempt removes.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  commitFile,
  isTempOf,
  pathForRun,
  tempPathFor,
  type ArchiveOutcome,
  type Logger,
} from '@runwarden/core';
import { reuseArchive, writeManifest } from './archive-manifest.js';
import { checkDiskSpace } from './disk-space.js';
import { scanWorktree } from './scan-worktree.js';
import { ThreadPool } from './thread-pool.js';
import { verifyZip } from './verify-zip.js';
import { writeZip, type ZipProgress } from './zip-writer.js';

export interface ArchiveRunOptions {
  runId: string;
  /** Folder holding `<run_id>/` worktrees. */
  worktreesDir: string;
  /** Folder the zip goes to; created when missing. */
  archiveDir: string;
  /** zlib level 0–9. @defaultValue 6 */
  compressionLevel?: number;
  /** Free space needed, as a multiple of the worktree's size. @defaultValue 1.5 */
  diskSpaceFactor?: number;
  /** Remove the worktree after a verified archive. @defaultValue false */
  removeWorktree?: boolean;
  /**
   * A file that kept changing while it was read: `list` archives it as last
   * read and lists it in `warnings`; `fail` fails the archive.
   * @defaultValue 'list'
   */
  onChangedFile?: 'list' | 'fail';
  /** Bytes of source written so far, of the total; `detail` adds entry counts. */
  onProgress?: (done: number, total: number, detail: ZipProgress) => void;
  logger?: Logger;
  signal?: AbortSignal;
  /** Zip threads shared between runs; a pool of its own is made when not given. */
  pool?: ThreadPool;
}

export type { ZipProgress };

/**
 * Temp files of earlier attempts that were killed (the zip's and the manifest's,
 * named by core's atomic write); the job ids are unique per run, so no one else
 * is writing them. Run `a`'s temps never match run `a.zip`'s: see `isTempOf`.
 */
async function removeStaleTemps(archiveDir: string, runId: string, logger?: Logger): Promise<void> {
  const finals = [`${runId}.zip`, `${runId}.zip.json`];
  for (const name of await readdir(archiveDir)) {
    if (!finals.some((final) => isTempOf(name, final))) continue;
    await rm(path.join(archiveDir, name), { force: true });
    logger?.info(
      { runId, file: name },
      `Removed ${name}, left by an earlier archive attempt for run ${runId} that did not finish`,
    );
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export async function archiveRun(options: ArchiveRunOptions): Promise<ArchiveOutcome> {
  const started = Date.now();
  const { runId, logger } = options;
  const worktree = pathForRun(options.worktreesDir, runId);
  const zipPath = pathForRun(options.archiveDir, runId, '.zip');
  const manifestPath = pathForRun(options.archiveDir, runId, '.zip.json');
  const archiveDir = path.dirname(zipPath);
  await mkdir(archiveDir, { recursive: true });
  await removeStaleTemps(archiveDir, runId, logger);

  const reused = await reuseArchive(zipPath, manifestPath);
  if (reused) {
    logger?.info(
      { runId, path: zipPath },
      `Run ${runId} already has a verified archive at ${zipPath}; not rebuilding it`,
    );
    return { ...reused, durationMs: Date.now() - started };
  }
  if (!(await exists(worktree))) {
    logger?.info(
      { runId, worktree },
      `Run ${runId} has no worktree at ${worktree}; nothing to archive`,
    );
    return { status: 'skipped', reason: 'no worktree', durationMs: Date.now() - started };
  }

  const listing = await scanWorktree(worktree);
  await checkDiskSpace({
    dir: archiveDir,
    sourceBytes: listing.bytes,
    factor: options.diskSpaceFactor ?? 1.5,
    runId,
  });

  const temp = tempPathFor(zipPath);
  const pool = options.pool ?? new ThreadPool();
  try {
    const zip = await writeZip(temp, listing, {
      level: options.compressionLevel ?? 6,
      pool,
      signal: options.signal,
      onChangedFile: options.onChangedFile,
      onProgress: (p) => options.onProgress?.(p.bytesDone, p.bytesTotal, p),
    });
    // Expected entries are what was written from the source (files that
    // could not be read are listed as skipped), with the CRCs of the source data.
    const verified = await verifyZip(temp, zip.written, { pool });
    const skippedFiles = [...listing.skipped, ...zip.skipped];
    const { warnings } = zip;
    await writeManifest(manifestPath, {
      schemaVersion: 1,
      runId,
      bytes: zip.zipBytes,
      sha256: zip.sha256,
      entries: verified.entries,
      sourceBytes: listing.bytes,
      skippedFiles,
      warnings,
      verifiedAt: new Date().toISOString(),
    });
    // One folder fsync makes both renames durable: the manifest's and the zip's.
    await commitFile(temp, zipPath);
    for (const s of skippedFiles)
      logger?.warn(
        { runId, file: s.path, reason: s.reason },
        `Left ${s.path} out of run ${runId}'s archive: ${s.reason}`,
      );
    for (const w of warnings)
      logger?.warn(
        { runId, file: w.path, warning: w.warning },
        `Archived ${w.path} in run ${runId} with a caveat: ${w.warning}`,
      );
    if (options.removeWorktree) {
      await rm(worktree, { recursive: true, force: true });
      logger?.info(
        { runId, worktree },
        `Removed run ${runId}'s worktree after its archive verified`,
      );
    }
    return {
      status: 'archived',
      path: zipPath,
      bytes: zip.zipBytes,
      sourceBytes: listing.bytes,
      entries: verified.entries,
      sha256: zip.sha256,
      verified: true,
      skippedFiles,
      warnings,
      durationMs: Date.now() - started,
      reused: false,
    };
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  } finally {
    if (!options.pool) await pool.close();
  }
}
