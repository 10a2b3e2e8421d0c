export { createBoard, normaliseBasePath, type Board, type BoardDeps } from './create-board.js';
export {
  createBoardMetrics,
  type BoardMetrics,
  type BoardMetricsOptions,
} from './board-metrics.js';
export { redactJobData, REDACTED } from './redact-job-data.js';
