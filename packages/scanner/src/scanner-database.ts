/**
 * The scanner's handle on the orchestration database, and the file's
 * identity (device + inode) at open. A backup restore or a pipeline re-init
 * replaces the file at the same path; a handle on the old inode would go on
 * "succeeding" on stale data, so the scanner compares the identity at every
 * change check and reopens when it differs.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '@runwarden/core';
import {
  createLedgerRecorder,
  createMissingIndexes,
  createPipelineReader,
  createScannerStore,
  findMissingIndexes,
  openOrchestrationDb,
  runMigrations,
  type LedgerRecorder,
  type PipelineReader,
  type ScannerStore,
  type SqliteDb,
} from '@runwarden/store';
import { createScanCycle } from './scan-cycle.js';

export interface ScannerDatabase {
  db: SqliteDb;
  reader: PipelineReader;
  store: ScannerStore;
  cycle: ReturnType<typeof createScanCycle>;
  recorder: LedgerRecorder;
  /** `<dev>:<ino>` of the file when it was opened. */
  identity: string | undefined;
}

export interface OpenScannerDatabaseOptions {
  file: string;
  logger: Logger;
  busyTimeoutMs: number;
  createIndexes: boolean;
  stallThresholdMs: number;
  clock: () => number;
}

/** `<dev>:<ino>` of the file, or undefined when it is not there. */
export function fileIdentity(file: string): string | undefined {
  try {
    const st = statSync(path.resolve(file), { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

function checkIndexes(db: SqliteDb, log: Logger, create: boolean): void {
  const missing = findMissingIndexes(db);
  if (missing.length === 0) return;
  const sql = missing.map((m) => m.sql).join(' ');
  if (!create) {
    log.warn(
      { statements: missing.map((m) => m.sql) },
      `The pipeline's tables lack index(es) the scanner needs, so scans slow down as history grows. Run: ${sql} — or set scanner.createIndexes: true`,
    );
    return;
  }
  try {
    createMissingIndexes(db);
    log.info(
      { statements: missing.map((m) => m.sql) },
      `Created index(es) on the pipeline's tables (scanner.createIndexes is true): ${sql}`,
    );
  } catch (err) {
    log.warn(
      { err: (err as Error).message },
      `Could not create index(es) (${sql}); scanning goes on without them`,
    );
  }
}

export function openScannerDatabase(options: OpenScannerDatabaseOptions): ScannerDatabase {
  const { file, logger: log } = options;
  const identity = fileIdentity(file);
  const db = openOrchestrationDb(file, { busyTimeoutMs: options.busyTimeoutMs });
  try {
    const applied = runMigrations(db);
    if (applied.length > 0)
      log.info(
        { migrations: applied },
        `Applied runwarden migration(s) ${applied.join(', ')} to ${file}`,
      );
    checkIndexes(db, log, options.createIndexes);
    const reader = createPipelineReader(db);
    const store = createScannerStore(db, options.clock);
    const cycle = createScanCycle({
      reader,
      store,
      logger: log,
      stallThresholdMs: options.stallThresholdMs,
      clock: options.clock,
    });
    return { db, reader, store, cycle, recorder: createLedgerRecorder(db), identity };
  } catch (err) {
    db.close();
    throw err;
  }
}

export interface DatabaseHandle {
  /** The open database; reopened first when the file at the path is not the one opened. */
  current(): ScannerDatabase;
  /** The database if it is open now (no reopen). */
  ifOpen(): ScannerDatabase | undefined;
  close(): void;
}

/** Opens the database now (throws when it cannot), and reopens it whenever its file is replaced. */
export function createDatabaseHandle(
  options: OpenScannerDatabaseOptions & { onReopen(): void },
): DatabaseHandle {
  const { file, logger } = options;
  let sql: ScannerDatabase | undefined = openScannerDatabase(options);
  return {
    current() {
      const identity = fileIdentity(file);
      if (sql && identity === sql.identity) return sql;
      if (sql) {
        logger.warn(
          { database: file, before: sql.identity, now: identity ?? null },
          identity === undefined
            ? `The orchestration database ${file} is gone (moved or deleted); the scanner tries to reopen it at every check`
            : `The orchestration database ${file} was replaced by another file (device:inode ${sql.identity} → ${identity}); the scanner reopens it and scans the new file`,
        );
        sql.db.close();
        sql = undefined;
        options.onReopen();
      }
      sql = openScannerDatabase(options);
      return sql;
    },
    ifOpen: () => sql,
    close: () => sql?.db.close(),
  };
}
