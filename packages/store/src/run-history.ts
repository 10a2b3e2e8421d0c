/**
 * The board's read-only view of finished runs: runwarden_events (the
 * run_completed and stall events) joined with what the ledger recorded in
 * runwarden_archives, _reports and _alerts. It never writes: the file is
 * opened `readonly` and `fileMustExist`, per request, so the board is no
 * second writer, works once the scanner creates the file, and follows a
 * replaced file. A page view is rare next to a scan; opening costs about a
 * millisecond.
 *
 *   listRuns(filter) ─▶ run_completed rows (newest first) + archive + report + alerts
 *   runDetail(runId) ─▶ the same for one run + its event payload + its stall events
 */
import Database from 'better-sqlite3';
import { RunwardenError, type RunwardenEvent } from '@runwarden/core/essentials';
import type { SqliteDb } from './open-db.js';

export interface RunFilter {
  pipeline?: string;
  outcome?: string;
  /** ISO-8601: runs detected at or after. */
  since?: string;
  /** @defaultValue 100 */
  limit?: number;
}

export interface ArchiveRow {
  status: string;
  path: string | null;
  bytes: number | null;
  sha256: string | null;
  verified: number | null;
  reason: string | null;
  at: string;
}

export interface AlertRow {
  deliveryId: string;
  status: string;
  rule: string;
  channel: string;
  severity: string;
  detail: string | null;
  at: string;
}

export interface RunListing {
  eventId: string;
  runId: string;
  pipeline: string | null;
  outcome: string;
  detectedAt: string;
  changedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  stepTotal: number;
  stepFailed: number;
  archive: ArchiveRow | null;
  /** The report's path as the report worker wrote it, when the ledger has it. */
  reportPath: string | null;
  alerts: AlertRow[];
}

export interface RunDetail extends RunListing {
  /** The run_completed event as recorded (run snapshot, steps, stalls). */
  event: RunwardenEvent;
  /** The run's run_stalled and run_recovered events, oldest first. */
  stallEvents: RunwardenEvent[];
}

export interface RunHistory {
  pipelines(): string[];
  listRuns(filter: RunFilter): RunListing[];
  runDetail(runId: string): RunDetail | undefined;
}

const LISTING = `SELECT e.id AS eventId, e.run_id AS runId, e.pipeline, e.detected_at AS detectedAt, e.changed_at AS changedAt,
  json_extract(e.payload, '$.outcome') AS outcome,
  coalesce(json_extract(e.payload, '$.run.startedAt'), json_extract(e.payload, '$.run.createdAt')) AS startedAt,
  coalesce(json_extract(e.payload, '$.run.finishedAt'), json_extract(e.payload, '$.run.updatedAt')) AS finishedAt,
  json_extract(e.payload, '$.stepCounts.total') AS stepTotal, json_extract(e.payload, '$.stepCounts.failed') AS stepFailed,
  a.status AS aStatus, a.path AS aPath, a.bytes AS aBytes, a.sha256 AS aSha256, a.verified AS aVerified, a.reason AS aReason, a.at AS aAt,
  (SELECT r.path FROM runwarden_reports r WHERE r.event_id = e.id) AS reportPath
FROM runwarden_events e LEFT JOIN runwarden_archives a ON a.event_id = e.id
WHERE e.type = 'run_completed'`;

type ListingRow = Omit<RunListing, 'archive' | 'alerts'> & {
  aStatus: string | null;
  aPath: string | null;
  aBytes: number | null;
  aSha256: string | null;
  aVerified: number | null;
  aReason: string | null;
  aAt: string | null;
};

/** What went wrong opening or reading the database, said for a person; the code says which. */
function unreadable(file: string, err: unknown): RunwardenError {
  const e = err as { code?: string; message?: string };
  if (e.code === 'SQLITE_BUSY')
    return new RunwardenError(
      'DATABASE_BUSY',
      `The database ${file} is locked by another process (${e.message ?? 'SQLITE_BUSY'}); reload the page in a moment. If it stays locked, the pipeline holds a long write transaction: WAL mode (the scanner sets it) lets readers in meanwhile.`,
      { cause: err },
    );
  if (e.code === 'SQLITE_CANTOPEN' || /does not exist|unable to open/i.test(e.message ?? ''))
    return new RunwardenError(
      'DATABASE_MISSING',
      `The database ${file} cannot be opened (${e.message ?? 'missing'}). Check "database" in runwarden.yaml on the board's host, and that the scanner has started (it records the runs this page lists).`,
      { cause: err },
    );
  if (/no such table/i.test(e.message ?? ''))
    return new RunwardenError(
      'DATABASE_INVALID',
      `The database ${file} has no runwarden tables yet (${e.message ?? ''}): start a scanner on it (runwarden scanner or runwarden start); it creates them.`,
      { cause: err },
    );
  return new RunwardenError(
    'DATABASE_INVALID',
    `The database ${file} could not be read: ${e.message ?? String(err)}`,
    { cause: err },
  );
}

function toListing(row: ListingRow, alerts: AlertRow[]): RunListing {
  const { aStatus, aPath, aBytes, aSha256, aVerified, aReason, aAt, ...rest } = row;
  return {
    ...rest,
    stepTotal: Number(rest.stepTotal ?? 0),
    stepFailed: Number(rest.stepFailed ?? 0),
    archive:
      aStatus === null
        ? null
        : {
            status: aStatus,
            path: aPath,
            bytes: aBytes,
            sha256: aSha256,
            verified: aVerified,
            reason: aReason,
            at: aAt ?? '',
          },
    alerts,
  };
}

function read<T>(file: string, busyTimeoutMs: number, query: (db: SqliteDb) => T): T {
  let db: SqliteDb | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    return query(db);
  } catch (err) {
    throw err instanceof RunwardenError ? err : unreadable(file, err);
  } finally {
    db?.close();
  }
}

function alertsOf(db: SqliteDb, runIds: string[]): Map<string, AlertRow[]> {
  const byEvent = new Map<string, AlertRow[]>();
  if (runIds.length === 0) return byEvent;
  // Alerts of any of the run's events (step failures, stalls, completion), through both indexes.
  const rows = db
    .prepare(
      `SELECT e2.run_id AS runId, a.delivery_id AS deliveryId, a.status, a.rule, a.channel, a.severity, a.detail, a.at
       FROM runwarden_events e2 JOIN runwarden_alerts a ON a.event_id = e2.id
       WHERE e2.run_id IN (SELECT value FROM json_each(?)) ORDER BY a.at`,
    )
    .all(JSON.stringify(runIds)) as (AlertRow & { runId: string })[];
  for (const { runId, ...alert } of rows) {
    const list = byEvent.get(runId) ?? [];
    list.push(alert);
    byEvent.set(runId, list);
  }
  return byEvent;
}

export function openRunHistory(file: string, options: { busyTimeoutMs?: number } = {}): RunHistory {
  const busy = Math.max(0, Math.round(options.busyTimeoutMs ?? 250));
  return {
    pipelines: () =>
      read(file, busy, (db) =>
        (
          db
            .prepare(
              "SELECT DISTINCT pipeline FROM runwarden_events WHERE type = 'run_completed' AND pipeline IS NOT NULL ORDER BY pipeline LIMIT 500",
            )
            .pluck()
            .all() as string[]
        ).map(String),
      ),
    listRuns: (filter) =>
      read(file, busy, (db) => {
        const rows = db
          .prepare(
            `${LISTING} AND (@pipeline IS NULL OR e.pipeline = @pipeline)
             AND (@outcome IS NULL OR json_extract(e.payload, '$.outcome') = @outcome)
             AND (@since IS NULL OR e.detected_at >= @since) ORDER BY e.seq DESC LIMIT @limit`,
          )
          .all({
            pipeline: filter.pipeline ?? null,
            outcome: filter.outcome ?? null,
            since: filter.since ?? null,
            limit: filter.limit ?? 100,
          }) as ListingRow[];
        const alerts = alertsOf(
          db,
          rows.map((r) => r.runId),
        );
        return rows.map((r) => toListing(r, alerts.get(r.runId) ?? []));
      }),
    runDetail: (runId) =>
      read(file, busy, (db) => {
        const row = db
          .prepare(`${LISTING} AND e.run_id = ? ORDER BY e.seq DESC LIMIT 1`)
          .get(runId) as ListingRow | undefined;
        if (!row) return undefined;
        const payload = db
          .prepare('SELECT payload FROM runwarden_events WHERE id = ?')
          .pluck()
          .get(row.eventId) as string;
        const stallEvents = (
          db
            .prepare(
              "SELECT payload FROM runwarden_events WHERE run_id = ? AND type IN ('run_stalled', 'run_recovered') ORDER BY seq",
            )
            .pluck()
            .all(runId) as string[]
        ).map((p) => JSON.parse(p) as RunwardenEvent);
        return {
          ...toListing(row, alertsOf(db, [runId]).get(runId) ?? []),
          event: JSON.parse(payload) as RunwardenEvent,
          stallEvents,
        };
      }),
  };
}
