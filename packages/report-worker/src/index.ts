export { createReportWorker, type ReportWorkerDeps } from './report-worker.js';
