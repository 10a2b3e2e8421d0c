export {
  buildRunReport,
  parseTimestamp,
  REPORT_SCHEMA_VERSION,
  type BuildReportOptions,
  type RunReport,
  type StepReport,
} from './run-report.js';
export { reportPath, writeFileAtomic, writeRunReport } from './write-report.js';
