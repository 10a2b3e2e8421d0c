/**
 * Doctor's database checks: the file opens read-only (the scanner stays the
 * only writer), the pipeline's tables and indexes, runwarden's migrations,
 * WAL, and whether the pipeline's clock runs ahead of this machine's.
 */
import { existsSync } from 'node:fs';
import {
  MIGRATIONS,
  findMissingIndexes,
  openOrchestrationDb,
  type SqliteDb,
} from '@runwarden/store';
import { parseTimestamp } from '@runwarden/core/essentials';
import { errorText, fail, ok, warn, type DoctorCheck } from './doctor-check.js';

const G = 'database';
/** Pipeline times further ahead of this clock than this are reported. */
const SKEW_MS = 5 * 60_000;

function checkMigrations(db: SqliteDb): DoctorCheck {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'runwarden_migrations'").get();
  const applied = table
    ? new Set(db.prepare('SELECT id FROM runwarden_migrations').pluck().all() as number[])
    : new Set<number>();
  const missing = MIGRATIONS.filter((m) => !applied.has(m.id)).map((m) => m.id);
  if (missing.length === 0)
    return ok(G, 'runwarden tables', `migrations 1–${MIGRATIONS.length} applied`);
  return fail(
    G,
    'runwarden tables',
    `migration(s) ${missing.join(', ')} not applied`,
    'start a scanner (`runwarden scanner` or `runwarden start`): it applies them at start',
  );
}

function checkClockSkew(db: SqliteDb, now: number): DoctorCheck {
  const latest = db.prepare('SELECT max(updated_at) FROM runs').pluck().get();
  const at = parseTimestamp(latest);
  if (latest === null || latest === undefined) return ok(G, 'clock skew', 'no runs yet');
  if (at === undefined)
    return warn(
      G,
      'clock skew',
      `latest runs.updated_at "${String(latest)}" is not a timestamp`,
      'write ISO-8601 UTC text or unix seconds',
    );
  const ahead = at - now;
  if (ahead > SKEW_MS)
    return fail(
      G,
      'clock skew',
      `the latest runs.updated_at (${new Date(at).toISOString()}) is ${Math.round(ahead / 1000)} s ahead of this machine's clock`,
      "sync the pipeline's and runwarden's clocks (NTP) and write UTC: stall detection and detection lag depend on them",
    );
  return ok(
    G,
    'clock skew',
    `latest runs.updated_at ${new Date(at).toISOString()}, not ahead of this clock`,
  );
}

export function checkDatabase(file: string, now: number): DoctorCheck[] {
  if (!existsSync(file))
    return [
      fail(
        G,
        'exists',
        `${file} does not exist`,
        'set "database" in runwarden.yaml (or RUNWARDEN_DATABASE) to the pipeline\'s SQLite file',
      ),
    ];
  let db: SqliteDb;
  try {
    db = openOrchestrationDb(file, { readonly: true, busyTimeoutMs: 1_000 });
  } catch (err) {
    return [
      ok(G, 'exists', file),
      fail(
        G,
        'readable, pipeline tables',
        errorText(err),
        'fix the file or the pipeline schema as the message says',
      ),
    ];
  }
  try {
    const checks = [
      ok(G, 'exists', file),
      ok(G, 'readable, pipeline tables', 'runs and steps have the columns runwarden reads'),
    ];
    const missing = findMissingIndexes(db);
    checks.push(
      missing.length === 0
        ? ok(G, 'indexes', 'runs(state) and steps(run_id, state, updated_at, step_id) are indexed')
        : warn(
            G,
            'indexes',
            `missing: ${missing.map((m) => `${m.table}(${m.columns.join(', ')})`).join(', ')}`,
            `run ${missing.map((m) => m.sql).join(' ')} or set scanner.createIndexes: true`,
          ),
    );
    const mode = String(db.pragma('journal_mode', { simple: true }));
    checks.push(
      mode === 'wal'
        ? ok(G, 'journal mode', 'wal')
        : warn(
            G,
            'journal mode',
            `${mode}: the pipeline's writes and runwarden's reads block each other`,
            'start the scanner once (it switches the file to WAL) or run PRAGMA journal_mode=WAL',
          ),
    );
    checks.push(checkMigrations(db), checkClockSkew(db, now));
    return checks;
  } finally {
    db.close();
  }
}
