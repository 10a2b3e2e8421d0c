export { buildRunReport, type RunReport } from './run-report.js';
export { reportPath, writeRunReport, writeRunReportHtml } from './write-report.js';
export { renderReportHtml } from './html-report.js';
