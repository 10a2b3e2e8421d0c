export {
  createArchiveWorker,
  type ArchiveWorkerDeps,
  type ArchiveJobProgress,
} from './archive-worker.js';
