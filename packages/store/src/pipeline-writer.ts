/**
 * Writes runs and steps the way a pipeline would, on a connection of its own:
 * for the demo, tests and benchmarks. runwarden itself never writes these tables.
 */
import Database from 'better-sqlite3';
import { PIPELINE_SCHEMA_SQL } from './schema.js';
import type { SqliteDb } from './open-db.js';

export interface RunRowInput {
  runId: string;
  pipeline?: string | null;
  state: string;
  createdAt?: string | number;
  startedAt?: string | number | null;
  finishedAt?: string | number | null;
  updatedAt?: string | number;
}

export interface StepRowInput {
  stepId: string;
  runId: string;
  name?: string;
  state: string;
  startedAt?: string | number | null;
  finishedAt?: string | number | null;
  updatedAt?: string | number;
  error?: string | null;
}

export interface PipelineWriter {
  readonly db: SqliteDb;
  /** Inserts or replaces a run row. */
  run(row: RunRowInput): void;
  /** Inserts or updates a step row (same step_id: updated in place, like a retry). */
  step(row: StepRowInput): void;
  close(): void;
}

export interface PipelineWriterOptions {
  /** Create the contract's tables and indexes when the file is new. @defaultValue true */
  create?: boolean;
  /** The time written when a row gives none. @defaultValue () => new Date().toISOString() */
  now?: () => string | number;
}

export function createPipelineWriter(
  file: string,
  options: PipelineWriterOptions = {},
): PipelineWriter {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  if (options.create ?? true) {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'runs'").get();
    if (!exists) db.exec(PIPELINE_SCHEMA_SQL);
  }
  const now = options.now ?? (() => new Date().toISOString());
  const run = db.prepare(
    `INSERT INTO runs (run_id, pipeline, state, created_at, started_at, finished_at, updated_at)
     VALUES (@runId, @pipeline, @state, @createdAt, @startedAt, @finishedAt, @updatedAt)
     ON CONFLICT(run_id) DO UPDATE SET pipeline = excluded.pipeline, state = excluded.state, started_at = excluded.started_at,
       finished_at = excluded.finished_at, updated_at = excluded.updated_at`,
  );
  const step = db.prepare(
    `INSERT INTO steps (step_id, run_id, name, state, started_at, finished_at, updated_at, error)
     VALUES (@stepId, @runId, @name, @state, @startedAt, @finishedAt, @updatedAt, @error)
     ON CONFLICT(step_id) DO UPDATE SET state = excluded.state, started_at = excluded.started_at,
       finished_at = excluded.finished_at, updated_at = excluded.updated_at, error = excluded.error`,
  );
  return {
    db,
    run: (r) => {
      const t = now();
      run.run({
        pipeline: null,
        startedAt: null,
        finishedAt: null,
        createdAt: t,
        updatedAt: t,
        ...r,
      });
    },
    step: (s) => {
      const t = now();
      step.run({
        name: s.stepId,
        startedAt: null,
        finishedAt: null,
        updatedAt: t,
        error: null,
        ...s,
      });
    },
    close: () => db.close(),
  };
}
