export {
  buildRunReport,
  REPORT_SCHEMA_VERSION,
  type BuildReportOptions,
  type RunReport,
  type StepReport,
} from './run-report.js';
export { reportPath, writeFileAtomic, writeRunReport, writeRunReportHtml } from './write-report.js';
export { renderReportHtml } from './html-report.js';
export {
  escapeHtml,
  formatMs,
  renderStepTimeline,
  STATE_COLORS,
  TIMELINE_CSS,
  type TimelineInput,
} from './step-timeline.js';
