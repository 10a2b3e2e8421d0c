/**
 * The events a silence kept quiet, read back from the ledger
 * (runwarden_alerts rows with status `silenced`, whose detail names the
 * silence) joined with the outbox payloads: what `silence expire --replay`
 * sends again. Events that never went through the outbox (archival_failed)
 * are not there.
 */
import type { RunwardenEvent } from '@runwarden/core/essentials';
import type { SqliteDb } from './open-db.js';

export function silencedEvents(db: SqliteDb, silenceId: string): RunwardenEvent[] {
  const rows = db
    .prepare(
      `SELECT DISTINCT e.payload FROM runwarden_alerts a JOIN runwarden_events e ON e.id = a.event_id
       WHERE a.status = 'silenced' AND a.detail LIKE ? ESCAPE '\\' ORDER BY e.seq`,
    )
    .pluck()
    .all(`silenced by ${silenceId.replace(/[\\%_]/g, (c) => `\\${c}`)} %`) as string[];
  return rows.map((p) => JSON.parse(p) as RunwardenEvent);
}
