export {
  archiveOutcomeOf,
  createReportWorker,
  processReportJob,
  type ReportResult,
  type ReportWorkerDeps,
} from './report-worker.js';
