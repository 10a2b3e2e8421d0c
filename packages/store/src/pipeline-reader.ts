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
import { idLookupKey, readId, type SkippedRow } from './skipped-row.js';

/** A run with its steps summarised: enough to tell whether anything changed. */
export interface RunSummary {
  /** The runs row's rowid; null when `runs` is a view. */
  rowid: number | null;
  runId: string;
  pipeline: string | null;
  state: unknown;
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
  /** The steps row's rowid; null when `steps` is a view. */
  rowid: number | null;
  stepId: string;
  name: string;
  state: unknown;
  startedAt: unknown;
  finishedAt: unknown;
  updatedAt: unknown;
  error: string | null;
}

export interface NewRunRow {
  rowid: number | null;
  runId: string;
  state: unknown;
  updatedAt: unknown;
}

export interface NewRuns {
  rows: NewRunRow[];
  read: number;
  lastRowid: number | null;
}

export interface PipelineReader {
  /** Changes when another connection committed; costs microseconds. */
  dataVersion(): number;
  activeRuns(): RunSummary[];
  runById(runId: string): RunSummary | undefined;
  stepsOf(runId: string): StepRow[];
  /**
   * Runs inserted after `rowid` (tables), or runs runwarden has not seen yet
   * (views). `read` and `lastRowid` count every row read, skipped ones too,
   * so the cursor moves past a bad row.
   */
  runsAfter(rowid: number, limit: number): NewRuns;
  /** The highest rowid in `runs` (0 when empty), and the run id at a rowid: to tell a rewritten table. */
  maxRunRowid(): number;
  runIdAt(rowid: number): string | undefined;
  /** True when `runs` is a table, so `runsAfter` can use its rowid. */
  readonly runsHaveRowid: boolean;
  /** Runs a function over one consistent read snapshot. */
  snapshot<T>(fn: () => T): T;
  /**
   * Rows left out of the answers above since the last call, because their id
   * column is NULL or binary: they cannot name a run or step.
   */
  takeSkipped(): SkippedRow[];
}

const summarySql = (
  rowid: string,
) => `SELECT ${rowid} AS rowid, r.run_id AS runId, r.pipeline AS pipeline, r.state AS state,
  r.created_at AS createdAt, r.started_at AS startedAt, r.finished_at AS finishedAt, r.updated_at AS updatedAt,
  count(s.step_id) AS total, max(s.updated_at) AS maxStepUpdatedAt,
  coalesce(sum(s.state = 'pending'), 0) AS pending, coalesce(sum(s.state = 'running'), 0) AS running,
  coalesce(sum(s.state = 'succeeded'), 0) AS succeeded, coalesce(sum(s.state = 'failed'), 0) AS failed,
  coalesce(sum(s.state = 'skipped'), 0) AS skipped, coalesce(sum(s.state = 'canceled'), 0) AS canceled
FROM runs r LEFT JOIN steps s ON s.run_id = r.run_id`;

/** Text for the free-text columns (a typeless table may hold numbers there). */
const textOrNull = (v: unknown): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : String(v);

function isTable(db: SqliteDb, name: string): boolean {
  return db.prepare('SELECT type FROM sqlite_master WHERE name = ?').pluck().get(name) === 'table';
}

export function createPipelineReader(db: SqliteDb): PipelineReader {
  const runsHaveRowid = isTable(db, 'runs');
  const stepsHaveRowid = isTable(db, 'steps');
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const SUMMARY = summarySql(runsHaveRowid ? 'r.rowid' : 'NULL');
  const active = db.prepare(`${SUMMARY} WHERE r.state IN ('pending', 'running') GROUP BY r.run_id`);
  // IN (text, number): a run id read as "42" finds a typeless table's integer 42 too.
  const byId = db.prepare(`${SUMMARY} WHERE r.run_id IN (?, ?) GROUP BY r.run_id`);
  const steps = db.prepare(
    `SELECT ${stepsHaveRowid ? 'rowid' : 'NULL'} AS rowid, step_id AS stepId, name, state, started_at AS startedAt,
       finished_at AS finishedAt, updated_at AS updatedAt, error
     FROM steps WHERE run_id IN (?, ?) ORDER BY ${stepsHaveRowid ? 'rowid' : 'step_id'}`,
  );
  // A view has no rowid: fall back to "not seen yet", whose cost grows with history.
  const after = runsHaveRowid
    ? db.prepare(
        'SELECT rowid AS rowid, run_id AS runId, state, updated_at AS updatedAt FROM runs WHERE rowid > ? ORDER BY rowid LIMIT ?',
      )
    : db.prepare(
        'SELECT NULL AS rowid, run_id AS runId, state, updated_at AS updatedAt FROM runs WHERE ? >= 0 AND run_id NOT IN (SELECT run_id FROM runwarden_runs) LIMIT ?',
      );
  const maxRowid = runsHaveRowid ? db.prepare('SELECT max(rowid) FROM runs').pluck() : undefined;
  const idAt = runsHaveRowid
    ? db.prepare('SELECT run_id AS runId FROM runs WHERE rowid = ?')
    : undefined;
  const readTx = db.transaction(<T>(fn: () => T): T => fn());
  let skipped: SkippedRow[] = [];

  /** Keeps rows whose id column names something; records the others. */
  function withIds<T extends { rowid: number | null }>(
    rows: T[],
    table: SkippedRow['table'],
    column: 'run_id' | 'step_id',
    field: 'runId' | 'stepId',
    runId?: string,
  ): T[] {
    const kept: T[] = [];
    for (const row of rows) {
      const raw = (row as Record<string, unknown>)[field];
      const id = readId(raw);
      if (id.ok) kept.push({ ...row, [field]: id.id });
      else skipped.push({ table, rowid: row.rowid, runId, column, value: raw, reason: id.reason });
    }
    return kept;
  }
  const summaries = (rows: unknown[]) =>
    withIds(rows as RunSummary[], 'runs', 'run_id', 'runId').map((r) => ({
      ...r,
      pipeline: textOrNull(r.pipeline),
    }));

  return {
    runsHaveRowid,
    dataVersion: () => Number(dataVersion.get()),
    activeRuns: () => summaries(active.all()),
    runById: (runId) => summaries(byId.all(runId, idLookupKey(runId)))[0],
    stepsOf: (runId) =>
      withIds(
        steps.all(runId, idLookupKey(runId)) as StepRow[],
        'steps',
        'step_id',
        'stepId',
        runId,
      ).map((s) => ({ ...s, name: textOrNull(s.name) ?? s.stepId, error: textOrNull(s.error) })),
    runsAfter: (rowid, limit) => {
      const raw = after.all(rowid, limit) as NewRunRow[];
      return {
        rows: withIds(raw, 'runs', 'run_id', 'runId'),
        read: raw.length,
        lastRowid: raw.at(-1)?.rowid ?? null,
      };
    },
    maxRunRowid: () => (maxRowid ? Number(maxRowid.get() ?? 0) : 0),
    runIdAt: (rowid) => {
      if (!idAt) return undefined;
      const row = idAt.get(rowid) as { runId: unknown } | undefined;
      if (!row) return undefined;
      const id = readId(row.runId);
      return id.ok ? id.id : '';
    },
    snapshot: <T>(fn: () => T): T => (db.inTransaction ? fn() : (readTx.deferred(fn) as T)),
    takeSkipped: () => {
      const out = skipped;
      skipped = [];
      return out;
    },
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
