/**
 * @runwarden/archive: a run's worktree to a verified zip.
 */
export { archiveRun, type ArchiveRunOptions, type ZipProgress } from './archive-run.js';
export {
  verifyZip,
  type ExpectedEntries,
  type ExpectedEntry,
  type VerifyResult,
  type VerifyZipOptions,
} from './verify-zip.js';
export { checkDiskSpace, type CheckDiskSpaceOptions, type DiskSpace } from './disk-space.js';
export {
  EntryTable,
  scanWorktree,
  type EntryKind,
  type SourceEntry,
  type SkippedFile,
  type WorktreeListing,
} from './scan-worktree.js';
export {
  writeZip,
  type WriteZipOptions,
  type WriteZipResult,
  WrittenEntries,
  type WrittenEntry,
} from './zip-writer.js';
export { ThreadPool, defaultThreadCount, type ThreadPoolOptions } from './thread-pool.js';
export { sha256File, type ArchiveManifest } from './archive-manifest.js';
