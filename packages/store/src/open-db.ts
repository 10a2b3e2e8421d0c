/**
 * Opening the pipeline's orchestration database, with errors that say what is
 * wrong and what to do: the file is missing, is not SQLite, or lacks the
 * `runs`/`steps` tables (or views) the contract names.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { RunwardenError } from '@runwarden/core/essentials';
import { PIPELINE_TABLES_SQL, REQUIRED_COLUMNS } from './schema.js';

export type SqliteDb = Database.Database;

export interface OpenOrchestrationDbOptions {
  /**
   * How long one statement waits for a lock before SQLITE_BUSY. better-sqlite3
   * is synchronous, so this blocks the event loop: keep it short and retry
   * at the next tick instead.
   * @defaultValue 250
   */
  busyTimeoutMs?: number;
  /**
   * Switch the file to WAL so the scanner's reads never block the pipeline's
   * writes (the mode is stored in the file).
   * @defaultValue true
   */
  wal?: boolean;
  /** Open read-only (for `runwarden status`). @defaultValue false */
  readonly?: boolean;
}

const SQLITE_MAGIC = 'SQLite format 3\0';

function hasSqliteHeader(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    // An empty file is a valid, empty SQLite database.
    return n === 0 || buf.toString('latin1', 0, n) === SQLITE_MAGIC;
  } finally {
    closeSync(fd);
  }
}

function invalid(file: string, why: string, cause?: unknown): RunwardenError {
  return new RunwardenError('DATABASE_INVALID', `${file} ${why}`, { cause });
}

/** Checks that `runs` and `steps` exist (as tables or views) with the columns runwarden reads. */
export function assertPipelineSchema(db: SqliteDb, file: string): void {
  for (const [table, columns] of Object.entries(REQUIRED_COLUMNS)) {
    const found = db
      .prepare("SELECT type FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')")
      .get(table);
    if (!found) {
      throw invalid(
        file,
        `has no "${table}" table. runwarden reads the pipeline's runs and steps with this schema:\n${PIPELINE_TABLES_SQL}\n` +
          'If your pipeline stores them differently, create SQL views with these names and columns.',
      );
    }
    const have = new Set(
      (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name),
    );
    const missing = columns.filter((c) => !have.has(c));
    if (missing.length > 0) {
      throw invalid(
        file,
        `: table "${table}" lacks column(s) ${missing.join(', ')}. Expected schema:\n${PIPELINE_TABLES_SQL}\nor provide a view with these columns.`,
      );
    }
  }
}

/**
 * Opens the orchestration database, or throws RunwardenError
 * `DATABASE_MISSING` / `DATABASE_INVALID`.
 */
export function openOrchestrationDb(
  file: string,
  options: OpenOrchestrationDbOptions = {},
): SqliteDb {
  const full = path.resolve(file);
  if (!existsSync(full)) {
    throw new RunwardenError(
      'DATABASE_MISSING',
      `The orchestration database ${full} does not exist. Set "database" in runwarden.yaml to the pipeline's SQLite file, or start the pipeline first so it creates it.`,
    );
  }
  if (!hasSqliteHeader(full))
    throw invalid(
      full,
      'is not a SQLite database (wrong file header). Point "database" in runwarden.yaml at the pipeline\'s SQLite file.',
    );
  let db: SqliteDb;
  try {
    db = new Database(full, { fileMustExist: true, readonly: options.readonly ?? false });
  } catch (err) {
    throw invalid(full, `could not be opened as SQLite: ${(err as Error).message}`, err);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(options.busyTimeoutMs ?? 250))}`);
    if ((options.wal ?? true) && !options.readonly) {
      try {
        db.pragma('journal_mode = WAL');
      } catch (err) {
        // A writer holding the file locked: WAL can be set on a later open; reading still works.
        if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      }
    }
    assertPipelineSchema(db, full);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof RunwardenError) throw err;
    throw invalid(full, `is not a usable SQLite database: ${(err as Error).message}`, err);
  }
}
