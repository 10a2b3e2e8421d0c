/**
 * The pipeline's tables as runwarden reads them (contract: docs/ARCHITECTURE.md,
 * "the orchestration database"). runwarden never writes these tables; the
 * schema is here so demos and tests can create a pipeline database.
 */

/**
 * The two indexes the scanner's queries need to stay cheap as history and
 * runs grow. An index satisfies one when its leading columns are `columns`.
 * The steps index covers the per-run summary (counts by state, latest change,
 * steps with an id): a 100,000-step run is summarised from the index alone
 * (see pipeline-reader.ts for the figures).
 */
export const PIPELINE_INDEXES = [
  {
    table: 'runs',
    columns: ['state'],
    name: 'runs_state_idx',
    sql: 'CREATE INDEX IF NOT EXISTS runs_state_idx ON runs(state);',
  },
  {
    table: 'steps',
    columns: ['run_id', 'state', 'updated_at', 'step_id'],
    name: 'steps_run_state_idx',
    sql: 'CREATE INDEX IF NOT EXISTS steps_run_state_idx ON steps(run_id, state, updated_at, step_id);',
  },
] as const;

export type PipelineIndex = (typeof PIPELINE_INDEXES)[number];

export const PIPELINE_TABLES_SQL = `CREATE TABLE runs  (run_id TEXT PRIMARY KEY, pipeline TEXT, state TEXT NOT NULL,
                    created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,
                    updated_at TEXT NOT NULL);
CREATE TABLE steps (step_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, name TEXT NOT NULL,
                    state TEXT NOT NULL, started_at TEXT, finished_at TEXT,
                    updated_at TEXT NOT NULL, error TEXT);`;

/** The contract's tables plus the recommended indexes. */
export const PIPELINE_SCHEMA_SQL = `${PIPELINE_TABLES_SQL}
${PIPELINE_INDEXES.map((i) => i.sql).join('\n')}
`;

/** Columns runwarden reads; a view standing in for a table must provide them. */
export const REQUIRED_COLUMNS = {
  runs: ['run_id', 'pipeline', 'state', 'created_at', 'started_at', 'finished_at', 'updated_at'],
  steps: ['step_id', 'run_id', 'name', 'state', 'started_at', 'finished_at', 'updated_at', 'error'],
} as const;
