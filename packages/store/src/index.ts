export {
  PIPELINE_SCHEMA_SQL,
  PIPELINE_TABLES_SQL,
  PIPELINE_INDEXES,
  REQUIRED_COLUMNS,
  type PipelineIndex,
} from './schema.js';
export {
  openOrchestrationDb,
  assertPipelineSchema,
  type OpenOrchestrationDbOptions,
  type SqliteDb,
} from './open-db.js';
export { MIGRATIONS, runMigrations, type Migration } from './migrations.js';
export {
  describeSkippedRow,
  formatRowValue,
  readId,
  idLookupKey,
  type SkippedRow,
} from './skipped-row.js';
export {
  createPipelineReader,
  findMissingIndexes,
  createMissingIndexes,
  type PipelineReader,
  type RunSummary,
  type StepRow,
  type NewRunRow,
  type NewRuns,
} from './pipeline-reader.js';
export {
  createScannerStore,
  type ScannerStore,
  type TrackedRun,
  type StepFailureCount,
  type ScanCommit,
  type UnacknowledgedEvent,
} from './scanner-store.js';
export { createLedgerRecorder, type LedgerRecorder } from './ledger-recorder.js';
export { readStatus, type StoreStatus, type ReadStatusOptions } from './status.js';
export {
  createPipelineWriter,
  type PipelineWriter,
  type PipelineWriterOptions,
  type RunRowInput,
  type StepRowInput,
} from './pipeline-writer.js';
export {
  createScannerDbLease,
  createDbLeaseGuard,
  readScannerDbLease,
  type DbLeaseGuard,
  type ScannerDbLease,
  type ScannerDbLeaseOptions,
  type ScannerDbLeaseRow,
  type DbLeaseClaim,
} from './scanner-db-lease.js';
export {
  createBackfillStore,
  type BackfillStore,
  type BackfillCandidate,
} from './backfill-store.js';
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
