export { PIPELINE_SCHEMA_SQL } from './schema.js';
export { openOrchestrationDb, type SqliteDb } from './open-db.js';
export { MIGRATIONS, runMigrations } from './migrations.js';
export { describeSkippedRow, formatRowValue, type SkippedRow } from './skipped-row.js';
export {
  createPipelineReader,
  findMissingIndexes,
  createMissingIndexes,
  type PipelineReader,
  type RunSummary,
  type StepRow,
} from './pipeline-reader.js';
export {
  createScannerStore,
  type ScannerStore,
  type TrackedRun,
  type StepFailureCount,
  type ScanCommit,
} from './scanner-store.js';
export { createLedgerRecorder, type LedgerRecorder } from './ledger-recorder.js';
export { createPipelineWriter, type PipelineWriter } from './pipeline-writer.js';
export {
  createDbLeaseGuard,
  createScannerDbLease,
  readScannerDbLease,
} from './scanner-db-lease.js';
export { readStatus, type StoreStatus } from './status.js';
export { createBackfillStore, type BackfillCandidate } from './backfill-store.js';
export { silencedEvents } from './silenced-events.js';
export {
  openRunHistory,
  type AlertRow,
  type ArchiveRow,
  type RunDetail,
  type RunFilter,
  type RunHistory,
  type RunListing,
} from './run-history.js';
