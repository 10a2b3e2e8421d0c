export { buildRunReport, type RunReport } from './run-report.js';
export { reportPath, writeRunReport, writeRunReportHtml } from './write-report.js';
export { renderReportHtml } from './html-report.js';
export {
  formatMs,
  renderStepTimeline,
  STATE_COLORS,
  TIMELINE_CSS,
  type TimelineInput,
} from './step-timeline.js';
