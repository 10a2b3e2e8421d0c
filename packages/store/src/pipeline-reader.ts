/**
 * Reads the pipeline's `runs` and `steps` with statements prepared once.
 * Every query's cost grows with active or changed runs, not with history:
 *
 *   PRAGMA data_version ─ changed? ─▶ activeRuns()   runs(state) + steps(run_id, state, …)
 *                                    runsAfter(rowid) new rows only (rowid b-tree)
 *                                    runById(id)      runs that left the active set
 *                                    stepsOf(run)     only for runs whose fingerprint changed
 */
import { MAX_SNAPSHOT_STEPS, STEP_STATES, type StepState } from '@runwarden/core/essentials';
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

type StepSummary = Pick<
  RunSummary,
  | 'total'
  | 'maxStepUpdatedAt'
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'canceled'
>;

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
  /** Rowids of rows read but left out because their run_id names no run (NULL, binary). */
  unusable: number[];
}

export interface PipelineReader {
  /** Changes when another connection committed; costs microseconds. */
  dataVersion(): number;
  activeRuns(): RunSummary[];
  runById(runId: string): RunSummary | undefined;
  /**
   * The run's steps in the pipeline's order: at most `limit`, failed ones
   * chosen first (read only when `failed`, the summary's count, says there
   * are some), so a run of 100,000 steps costs a bounded read.
   * @defaultValue limit MAX_SNAPSHOT_STEPS
   */
  stepsOf(runId: string, limit?: number, failed?: number): StepRow[];
  /**
   * Runs inserted after `rowid` (tables), or runs runwarden has not seen yet
   * (views). `read` and `lastRowid` count every row read, skipped ones too,
   * so the cursor moves past a bad row.
   */
  runsAfter(rowid: number, limit: number): NewRuns;
  /**
   * The runs rows at these rowids (tables only), read again because their
   * run_id was unusable: a row fixed later lies below the cursor.
   */
  runsAt(rowids: readonly number[]): Pick<NewRuns, 'rows' | 'unusable'>;
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

const runSql = (rowid: string) => `SELECT ${rowid} AS rowid, run_id AS runId, pipeline, state,
  created_at AS createdAt, started_at AS startedAt, finished_at AS finishedAt, updated_at AS updatedAt
FROM runs`;

/**
 * Per run, not joined and grouped: a GROUP BY over the join sorted every step
 * of every active run in a temporary b-tree (a 100,000-step run cost twice as
 * much). Grouped by state, one pass over the run's entries in the
 * `(run_id, state, updated_at, step_id)` index answers it without reading the
 * table: a 100,000-step run whose rows lie among other runs' in about 35 ms
 * instead of about 105 ms through an index on run_id only. `total` counts steps with an
 * id (a row without one cannot be shown and is named as skipped); the states
 * count every row.
 */
const STEP_STATES_SQL = (where: string) =>
  `SELECT state, count(*) AS n, count(step_id) AS ids, max(updated_at) AS latest FROM steps WHERE ${where} GROUP BY state`;

interface StateGroup {
  state: unknown;
  n: number;
  ids: number;
  latest: unknown;
}

/** SQLite's order of values of any type: NULL, numbers, text, blobs. */
function sqliteRank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number' || typeof v === 'bigint') return 1;
  return typeof v === 'string' ? 2 : 3;
}
function laterOf(a: unknown, b: unknown): unknown {
  const ra = sqliteRank(a);
  const rb = sqliteRank(b);
  if (ra !== rb) return ra > rb ? a : b;
  if (ra === 1 || ra === 2) return (a as number | string) >= (b as number | string) ? a : b;
  return a;
}

/** The per-state groups folded into one summary; states outside the contract are not counted in any state. */
function foldStates(groups: StateGroup[]): StepSummary {
  const out: StepSummary = {
    total: 0,
    maxStepUpdatedAt: null,
    pending: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    canceled: 0,
  };
  for (const g of groups) {
    out.total += Number(g.ids);
    out.maxStepUpdatedAt = laterOf(out.maxStepUpdatedAt, g.latest);
    if (typeof g.state === 'string' && (STEP_STATES as readonly string[]).includes(g.state))
      out[g.state as StepState] += Number(g.n);
  }
  return out;
}

/** Back in the pipeline's order (rowid, or step_id for a view) after the failed-first pick. */
function inPipelineOrder(rows: StepRow[]): StepRow[] {
  return rows.sort((a, b) =>
    a.rowid !== null && b.rowid !== null
      ? a.rowid - b.rowid
      : String(a.stepId) < String(b.stepId)
        ? -1
        : String(a.stepId) > String(b.stepId)
          ? 1
          : 0,
  );
}

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
  const stepOrder = stepsHaveRowid ? 'rowid' : 'step_id';
  const RUNS = runSql(runsHaveRowid ? 'rowid' : 'NULL');
  const active = db.prepare(`${RUNS} WHERE state IN ('pending', 'running')`);
  // IN (text, number): a run id read as "42" finds a typeless table's integer 42 too.
  const byId = db.prepare(`${RUNS} WHERE run_id IN (?, ?)`);
  // `=` walks the index in (state, …) order; IN needs it only for ids that may be stored as numbers.
  const statesById = db.prepare(STEP_STATES_SQL('run_id = ?'));
  const statesByIds = db.prepare(STEP_STATES_SQL('run_id IN (?, ?)'));
  const stepSummary = (runId: string): StepSummary => {
    const key = idLookupKey(runId);
    const groups = (
      key === runId ? statesById.all(runId) : statesByIds.all(runId, key)
    ) as StateGroup[];
    return foldStates(groups);
  };
  const STEP_COLUMNS = `SELECT ${stepsHaveRowid ? 'rowid' : 'NULL'} AS rowid, step_id AS stepId, name, state,
       started_at AS startedAt, finished_at AS finishedAt, updated_at AS updatedAt, error FROM steps`;
  // The first `limit` in order walk the index led by run_id and stop; failed ones are read only when there are some.
  const firstSteps = db.prepare(
    `${STEP_COLUMNS} WHERE run_id IN (?, ?) ORDER BY ${stepOrder} LIMIT ?`,
  );
  const failedSteps = db.prepare(
    `${STEP_COLUMNS} WHERE run_id IN (?, ?) AND state = 'failed' ORDER BY ${stepOrder} LIMIT ?`,
  );
  function readSteps(runId: string, limit: number, failed: number): StepRow[] {
    const key = idLookupKey(runId);
    const first = firstSteps.all(runId, key, limit) as StepRow[];
    if (first.length < limit || failed <= 0) return first;
    const picked = failedSteps.all(runId, key, limit) as StepRow[];
    const ids = new Set(picked.map((s) => s.stepId));
    const rest = first
      .filter((s) => !ids.has(s.stepId))
      .slice(0, Math.max(0, limit - picked.length));
    return inPipelineOrder([...picked, ...rest]);
  }
  // A view has no rowid: fall back to "not seen yet", whose cost grows with history.
  const after = runsHaveRowid
    ? db.prepare(
        'SELECT rowid AS rowid, run_id AS runId, state, updated_at AS updatedAt FROM runs WHERE rowid > ? ORDER BY rowid LIMIT ?',
      )
    : db.prepare(
        'SELECT NULL AS rowid, run_id AS runId, state, updated_at AS updatedAt FROM runs WHERE ? >= 0 AND run_id NOT IN (SELECT run_id FROM runwarden_runs) LIMIT ?',
      );
  const atRowids = runsHaveRowid
    ? db.prepare(
        'SELECT rowid AS rowid, run_id AS runId, state, updated_at AS updatedAt FROM runs WHERE rowid IN (SELECT value FROM json_each(?)) ORDER BY rowid',
      )
    : undefined;
  /** Keeps the usable rows and lists the rowids of the others. */
  function usableRuns(raw: NewRunRow[]): Pick<NewRuns, 'rows' | 'unusable'> {
    const rows = withIds(raw, 'runs', 'run_id', 'runId');
    const kept = new Set(rows.map((r) => r.rowid));
    const unusable = raw.flatMap((r) => (r.rowid !== null && !kept.has(r.rowid) ? [r.rowid] : []));
    return { rows, unusable };
  }
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
  const summaries = (rows: unknown[]): RunSummary[] =>
    withIds(rows as RunSummary[], 'runs', 'run_id', 'runId').map((r) => ({
      ...r,
      pipeline: textOrNull(r.pipeline),
      ...stepSummary(r.runId),
    }));

  return {
    runsHaveRowid,
    dataVersion: () => Number(dataVersion.get()),
    activeRuns: () => summaries(active.all()),
    runById: (runId) => summaries(byId.all(runId, idLookupKey(runId)).slice(0, 1))[0],
    stepsOf: (runId, limit = MAX_SNAPSHOT_STEPS, failed = 1) =>
      withIds(readSteps(runId, limit, failed), 'steps', 'step_id', 'stepId', runId).map((s) => ({
        ...s,
        name: textOrNull(s.name) ?? s.stepId,
        error: textOrNull(s.error),
      })),
    runsAfter: (rowid, limit) => {
      const raw = after.all(rowid, limit) as NewRunRow[];
      return { ...usableRuns(raw), read: raw.length, lastRowid: raw.at(-1)?.rowid ?? null };
    },
    runsAt: (rowids) =>
      atRowids && rowids.length > 0
        ? usableRuns(atRowids.all(JSON.stringify(rowids)) as NewRunRow[])
        : { rows: [], unusable: [] },
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
      return index.columns.every((column, at) => cols[at]?.name === column);
    });
  });
}

/** Creates the missing indexes: only when `scanner.createIndexes` allows touching the pipeline's tables. */
export function createMissingIndexes(db: SqliteDb): PipelineIndex[] {
  const missing = findMissingIndexes(db);
  for (const index of missing) db.exec(index.sql);
  return missing;
}
