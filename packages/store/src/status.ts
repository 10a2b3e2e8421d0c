/**
 * What an operator wants to see at a glance (`runwarden status`): read from
 * runwarden_* tables only, so it works on a read-only handle.
 */
import type { EventType } from '@runwarden/core/essentials';
import type { SqliteDb } from './open-db.js';

export interface StoreStatus {
  /** Runs followed by the scanner that have not completed. */
  activeRuns: number;
  stalledRuns: number;
  eventsByType: Partial<Record<EventType, number>>;
  /** Events recorded but not yet in Redis (normally 0). */
  pendingEvents: number;
  lastEvents: {
    id: string;
    type: string;
    runId: string;
    detectedAt: string;
    enqueuedAt: string | null;
  }[];
  archives: Record<string, number>;
  reports: number;
  alerts: Record<string, number>;
  migrations: number;
}

export interface ReadStatusOptions {
  /** How many recent events to list. @defaultValue 10 */
  lastEvents?: number;
}

function countsBy(db: SqliteDb, sql: string): Record<string, number> {
  const rows = db.prepare(sql).all() as { k: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.k, r.n]));
}

export function readStatus(db: SqliteDb, options: ReadStatusOptions = {}): StoreStatus {
  const scalar = (sql: string) => Number(db.prepare(sql).pluck().get() ?? 0);
  return {
    activeRuns: scalar('SELECT count(*) FROM runwarden_runs WHERE completed = 0'),
    stalledRuns: scalar('SELECT count(*) FROM runwarden_runs WHERE completed = 0 AND stalled = 1'),
    eventsByType: countsBy(
      db,
      'SELECT type AS k, count(*) AS n FROM runwarden_events GROUP BY type',
    ),
    pendingEvents: scalar('SELECT count(*) FROM runwarden_events WHERE enqueued_at IS NULL'),
    lastEvents: db
      .prepare(
        'SELECT id, type, run_id AS runId, detected_at AS detectedAt, enqueued_at AS enqueuedAt FROM runwarden_events ORDER BY seq DESC LIMIT ?',
      )
      .all(options.lastEvents ?? 10) as StoreStatus['lastEvents'],
    archives: countsBy(
      db,
      'SELECT status AS k, count(*) AS n FROM runwarden_archives GROUP BY status',
    ),
    reports: scalar('SELECT count(*) FROM runwarden_reports'),
    alerts: countsBy(db, 'SELECT status AS k, count(*) AS n FROM runwarden_alerts GROUP BY status'),
    migrations: scalar('SELECT count(*) FROM runwarden_migrations'),
  };
}
