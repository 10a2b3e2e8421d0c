export {
  buildRunReport,
  REPORT_SCHEMA_VERSION,
  type BuildReportOptions,
  type RunReport,
  type StepReport,
} from './run-report.js';
export { reportPath, writeRunReport, writeRunReportHtml } from './write-report.js';
export { renderReportHtml, formatMs } from './html-report.js';
