export { createArchiveWorker, type ArchiveWorkerDeps } from './archive-worker.js';
export {
  createRetentionJob,
  inventory,
  type RetentionJob,
  type RetentionJobDeps,
  type RetentionResult,
} from './retention-job.js';
export { planRetention, retentionEnabled, type StoredRun } from './retention-plan.js';
