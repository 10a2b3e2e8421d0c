export { createArchiveWorker, type ArchiveWorkerDeps } from './archive-worker.js';
export { createRetentionJob, type RetentionJob, type RetentionJobDeps } from './retention-job.js';
