/**
 * @runwarden/archive: a run's worktree to a verified zip.
 */
export { archiveRun, type ZipProgress } from './archive-run.js';
export { verifyZip } from './verify-zip.js';
export { scanWorktree } from './scan-worktree.js';
export { writeZip } from './zip-writer.js';
export { ThreadPool } from './thread-pool.js';
