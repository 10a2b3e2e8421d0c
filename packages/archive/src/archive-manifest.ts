/**
 * `<run_id>.zip.json` beside each archive: what was verified, written before
 * the zip is renamed into place. A zip under its final name whose manifest
 * matches its size and SHA-256 is a verified archive and is not rebuilt.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic, type ArchiveOutcome } from '@runwarden/core';

export interface ArchiveManifest {
  schemaVersion: 1;
  runId: string;
  /** Bytes of the zip. */
  bytes: number;
  sha256: string;
  entries: number;
  sourceBytes: number;
  skippedFiles: { path: string; reason: string }[];
  /** Absent in manifests written before warnings were kept. */
  warnings?: { path: string; warning: string }[];
  verifiedAt: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Written before the zip's rename, whose folder fsync covers this rename too. */
export async function writeManifest(path: string, manifest: ArchiveManifest): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`, { syncDir: false });
}

/**
 * The outcome recorded for an archive already in place, or undefined when
 * there is none, or it does not match its manifest (then it is rebuilt).
 */
export async function reuseArchive(
  zipPath: string,
  manifestPath: string,
): Promise<ArchiveOutcome | undefined> {
  let manifest: ArchiveManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as ArchiveManifest;
    if ((await stat(zipPath)).size !== manifest.bytes) return undefined;
  } catch {
    return undefined;
  }
  if ((await sha256File(zipPath)) !== manifest.sha256) return undefined;
  return {
    status: 'archived',
    path: zipPath,
    bytes: manifest.bytes,
    sourceBytes: manifest.sourceBytes,
    entries: manifest.entries,
    sha256: manifest.sha256,
    verified: true,
    skippedFiles: manifest.skippedFiles,
    warnings: manifest.warnings ?? [],
    reused: true,
  };
}
