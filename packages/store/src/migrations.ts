/**
 * runwarden's own tables, in the pipeline's database, built by numbered,
 * append-only migrations. Never edit a migration that has shipped: add the
 * next number. Applied migrations are recorded in `runwarden_migrations`.
 */
import type { SqliteDb } from './open-db.js';

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'scanner outbox and tracking',
    sql: `
      -- The outbox: an event is written here before it is enqueued, and marked after.
      CREATE TABLE runwarden_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        run_id TEXT NOT NULL,
        pipeline TEXT,
        detected_at TEXT NOT NULL,
        changed_at TEXT,
        payload TEXT NOT NULL,
        enqueued_at TEXT
      );
      CREATE INDEX runwarden_events_pending_idx ON runwarden_events(seq) WHERE enqueued_at IS NULL;
      CREATE INDEX runwarden_events_type_idx ON runwarden_events(type);
      -- Runs the scanner follows until they complete, with their stall state.
      CREATE TABLE runwarden_runs (
        run_id TEXT PRIMARY KEY,
        completed INTEGER NOT NULL DEFAULT 0,
        stalled INTEGER NOT NULL DEFAULT 0,
        stall_count INTEGER NOT NULL DEFAULT 0,
        stall_change_ms INTEGER,
        first_seen_at TEXT NOT NULL
      );
      CREATE INDEX runwarden_runs_open_idx ON runwarden_runs(run_id) WHERE completed = 0;
      -- How often each step has failed, so a retried step that fails again is a new event.
      CREATE TABLE runwarden_step_failures (
        step_id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_failure_key TEXT NOT NULL
      );
      CREATE INDEX runwarden_step_failures_run_idx ON runwarden_step_failures(run_id);
      CREATE TABLE runwarden_scanner_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    id: 2,
    name: 'worker ledger',
    sql: `
      CREATE TABLE runwarden_archives (
        event_id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        status TEXT NOT NULL,
        path TEXT, bytes INTEGER, source_bytes INTEGER, entries INTEGER, sha256 TEXT,
        verified INTEGER, reused INTEGER, reason TEXT, duration_ms INTEGER,
        detail TEXT,
        at TEXT NOT NULL
      );
      CREATE TABLE runwarden_reports (
        event_id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        path TEXT NOT NULL,
        outcome TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE TABLE runwarden_alerts (
        delivery_id TEXT NOT NULL,
        status TEXT NOT NULL,
        event_id TEXT,
        run_id TEXT,
        rule TEXT NOT NULL,
        channel TEXT NOT NULL,
        severity TEXT NOT NULL,
        event_ids TEXT NOT NULL,
        detail TEXT,
        at TEXT NOT NULL,
        PRIMARY KEY (delivery_id, status)
      );
      CREATE INDEX runwarden_alerts_event_idx ON runwarden_alerts(event_id);
    `,
  },
  {
    id: 3,
    name: 'event ids version 2: find a run recorded events by run',
    // Ids now encode "." (eventIds); events recorded before keep theirs, and
    // a recovery finds its stall's id here instead of recomputing it.
    sql: `CREATE INDEX runwarden_events_run_idx ON runwarden_events(run_id, type);`,
  },
  {
    id: 4,
    name: 'retention deletions',
    sql: `
      -- One row per archive the retention job deleted (with its reports).
      CREATE TABLE runwarden_retention (
        run_id TEXT NOT NULL,
        archived_at TEXT NOT NULL,
        pipeline TEXT,
        reason TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        files TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (run_id, archived_at)
      );
    `,
  },
];

/**
 * Applies the migrations not yet recorded, each in its own transaction.
 * Returns the ids applied now. Safe for two scanners starting at once: the
 * check and the migration run under one write lock.
 */
export function runMigrations(
  db: SqliteDb,
  migrations: readonly Migration[] = MIGRATIONS,
): number[] {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'runwarden_migrations'").get()) {
    db.exec(
      'CREATE TABLE IF NOT EXISTS runwarden_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
  }
  const isApplied = db.prepare('SELECT 1 FROM runwarden_migrations WHERE id = ?');
  const record = db.prepare(
    'INSERT INTO runwarden_migrations (id, name, applied_at) VALUES (?, ?, ?)',
  );
  const applied: number[] = [];
  // Check before taking the write lock: a started scanner must not wait on a
  // pipeline's long transaction when there is nothing to migrate.
  const pending = [...migrations].sort((a, b) => a.id - b.id).filter((m) => !isApplied.get(m.id));
  for (const migration of pending) {
    const apply = db.transaction(() => {
      if (isApplied.get(migration.id)) return;
      db.exec(migration.sql);
      record.run(migration.id, migration.name, new Date().toISOString());
      applied.push(migration.id);
    });
    apply.immediate();
  }
  return applied;
}
