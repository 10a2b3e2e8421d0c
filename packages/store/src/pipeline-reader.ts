/**
 * Reads the pipeline's `runs` and `steps` with statements prepared once.
 * Every query's cost grows with active or changed runs, not with history:
 *
 *   PRAGMA data_version ─ changed? ─▶ activeRuns()   runs(state) + steps(run_id)
 *                                    runsAfter(rowid) new rows only (rowid b-tree)
 *                                    runById(id)      runs that left the active set
 *                                    stepsOf(run)     only for runs whose fingerprint changed
 */
import { PIPELINE_INDEXES, type PipelineIndex } from './schema.js';
import type { SqliteDb } from './open-db.js';

/** A run with its steps summarised: enough to tell whether anything changed. */
export interface RunSummary {
  runId: string;
  pipeline: string | null;
  state: string;
  createdAt: unknown;
  startedAt: unknown;
  finishedAt: unknown;
  updatedAt: unknown;
  total: number;
  maxStepUpdatedAt: unknown;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  skipped: number;
  canceled: number;
}

export interface StepRow {
  stepId: string;
  name: string;
  state: string;
  startedAt: unknown;
  finishedAt: unknown;
  updatedAt: unknown;
  error: string | null;
}

export interface NewRunRow {
  rowid: number | null;
  runId: string;
  state: string;
  updatedAt: unknown;
}

export interface PipelineReader {
  /** Changes when another connection committed; costs microseconds. */
  dataVersion(): number;
  activeRuns(): RunSummary[];
  runById(runId: string): RunSummary | undefined;
  stepsOf(runId: string): StepRow[];
  /** Runs inserted after `rowid` (tables), or runs runwarden has not seen yet (views). */
  runsAfter(rowid: number, limit: number): NewRunRow[];
  /** True when `runs` is a table, so `runsAfter` can use its rowid. */
  readonly runsHaveRowid: boolean;
  /** Runs a function over one consistent read snapshot. */
  snapshot<T>(fn: () => T): T;
}

const SUMMARY = `SELECT r.run_id AS runId, r.pipeline AS pipeline, r.state AS state,
  r.created_at AS createdAt, r.started_at AS startedAt, r.finished_at AS finishedAt, r.updated_at AS updatedAt,
  count(s.step_id) AS total, max(s.updated_at) AS maxStepUpdatedAt,
  coalesce(sum(s.state = 'pending'), 0) AS pending, coalesce(sum(s.state = 'running'), 0) AS running,
  coalesce(sum(s.state = 'succeeded'), 0) AS succeeded, coalesce(sum(s.state = 'failed'), 0) AS failed,
  coalesce(sum(s.state = 'skipped'), 0) AS skipped, coalesce(sum(s.state = 'canceled'), 0) AS canceled
FROM runs r LEFT JOIN steps s ON s.run_id = r.run_id`;

function isTable(db: SqliteDb, name: string): boolean {
  return db.prepare('SELECT type FROM sqlite_master WHERE name = ?').pluck().get(name) === 'table';
}

export function createPipelineReader(db: SqliteDb): PipelineReader {
  const runsHaveRowid = isTable(db, 'runs');
  const stepsHaveRowid = isTable(db, 'steps');
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const active = db.prepare(`${SUMMARY} WHERE r.state IN ('pending', 'running') GROUP BY r.run_id`);
  const byId = db.prepare(`${SUMMARY} WHERE r.run_id = ? GROUP BY r.run_id`);
  const steps = db.prepare(
    `SELECT step_id AS stepId, name, state, started_at AS startedAt, finished_at AS finishedAt, updated_at AS updatedAt, error
     FROM steps WHERE run_id = ? ORDER BY ${stepsHaveRowid ? 'rowid' : 'step_id'}`,
  );
  // A view has no rowid: fall back to "not seen yet", whose cost grows with history.
  const after = runsHaveRowid
    ? db.prepare(
        'SELECT rowid AS rowid, run_id AS runId, state, updated_at AS updatedAt FROM runs WHERE rowid > ? ORDER BY rowid LIMIT ?',
      )
    : db.prepare(
        'SELECT NULL AS rowid, run_id AS runId, state, updated_at AS updatedAt FROM runs WHERE ? >= 0 AND run_id NOT IN (SELECT run_id FROM runwarden_runs) LIMIT ?',
      );
  const readTx = db.transaction(<T>(fn: () => T): T => fn());

  return {
    runsHaveRowid,
    dataVersion: () => Number(dataVersion.get()),
    activeRuns: () => active.all() as RunSummary[],
    runById: (runId) => byId.get(runId) as RunSummary | undefined,
    stepsOf: (runId) => steps.all(runId) as StepRow[],
    runsAfter: (rowid, limit) => after.all(rowid, limit) as NewRunRow[],
    snapshot: <T>(fn: () => T): T => (db.inTransaction ? fn() : (readTx.deferred(fn) as T)),
  };
}

/** Indexes from PIPELINE_INDEXES that the pipeline's tables lack (views are skipped). */
export function findMissingIndexes(db: SqliteDb): PipelineIndex[] {
  return PIPELINE_INDEXES.filter((index) => {
    if (!isTable(db, index.table)) return false;
    const indexes = db.pragma(`index_list(${index.table})`) as { name: string }[];
    return !indexes.some((i) => {
      const cols = db.pragma(`index_info(${JSON.stringify(i.name)})`) as { name: string }[];
      return cols[0]?.name === index.column;
    });
  });
}

/** Creates the missing indexes: only when `scanner.createIndexes` allows touching the pipeline's tables. */
export function createMissingIndexes(db: SqliteDb): PipelineIndex[] {
  const missing = findMissingIndexes(db);
  for (const index of missing) db.exec(index.sql);
  return missing;
}
