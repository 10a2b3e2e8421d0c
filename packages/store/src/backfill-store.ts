/**
 * What `runwarden backfill` reads and writes in the orchestration database:
 * finished runs that have no report yet, and the outbox row of each event it
 * enqueued (marked enqueued at once, so the scanner never re-sends it).
 *
 * A run whose `run_completed` waits unsent in the outbox is the scanner's to
 * send, so it is left out here.
 */
import type { RunwardenEvent } from '@runwarden/core/essentials';
import type { SqliteDb } from './open-db.js';
import { outboxRow } from './scanner-store.js';

export interface BackfillCandidate {
  runId: string;
  pipeline: string | null;
  state: string;
  finishedAt: unknown;
  updatedAt: unknown;
}

export interface BackfillStore {
  /** Runs in a terminal state with no row in runwarden_reports, optionally of one pipeline. */
  candidates(pipeline?: string): BackfillCandidate[];
  /** Records an event already in the queues: an outbox row with `enqueued_at` set (kept if present). */
  recordEnqueued(event: RunwardenEvent, at: string): void;
}

export function createBackfillStore(db: SqliteDb): BackfillStore {
  // NOT IN (subquery) lets SQLite build one temporary index instead of a scan per run.
  const candidates = db.prepare(
    `SELECT run_id AS runId, pipeline, state, finished_at AS finishedAt, updated_at AS updatedAt FROM runs
     WHERE state IN ('succeeded', 'failed', 'canceled') AND (@pipeline IS NULL OR pipeline = @pipeline)
       AND run_id NOT IN (SELECT run_id FROM runwarden_reports)
       AND run_id NOT IN (SELECT run_id FROM runwarden_events WHERE type = 'run_completed' AND enqueued_at IS NULL)`,
  );
  const insert = db.prepare(
    `INSERT INTO runwarden_events (id, type, run_id, pipeline, detected_at, changed_at, payload, enqueued_at)
     VALUES (@id, @type, @runId, @pipeline, @detectedAt, @changedAt, @payload, @at)
     ON CONFLICT(id) DO UPDATE SET enqueued_at = coalesce(enqueued_at, excluded.enqueued_at)`,
  );
  return {
    candidates: (pipeline) => candidates.all({ pipeline: pipeline ?? null }) as BackfillCandidate[],
    recordEnqueued: (e, at) => void insert.run({ ...outboxRow(e), at }),
  };
}
