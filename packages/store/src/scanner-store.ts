/**
 * The scanner's own state in runwarden_* tables: the event outbox, the runs
 * it follows until they complete, step failure counts and read cursors.
 *
 *   scan ──commit()──▶ runwarden_events (enqueued_at NULL) + tracking, one transaction
 *        ──pending()──▶ enqueue to BullMQ ──markEnqueued()──▶ enqueued_at set
 *
 * An event id is UNIQUE in the outbox, so a detection made twice (restart,
 * two scanners) is recorded once and never announced again.
 */
import type { RunwardenEvent } from '@runwarden/core/essentials';
import type { SqliteDb } from './open-db.js';

export interface TrackedRun {
  runId: string;
  completed: boolean;
  stalled: boolean;
  /** Stalls so far (the next stall event is number stallCount + 1). */
  stallCount: number;
  /** The run's last change time when it stalled; progress past it is a recovery. */
  stallChangeMs: number | null;
}

export interface StepFailureCount {
  stepId: string;
  runId: string;
  failures: number;
  /** What identifies the latest failure (its finished_at or updated_at), so a repeat is not counted twice. */
  lastFailureKey: string;
}

/** Everything one scan decided, written in one transaction. */
export interface ScanCommit {
  events: RunwardenEvent[];
  runs: TrackedRun[];
  stepFailures: StepFailureCount[];
  /** Highest `runs` rowid read so far. */
  runsCursor?: number;
  /** Extra scanner_state values to store (e.g. the first-start baseline time). */
  state?: Record<string, string>;
}

export interface UnacknowledgedEvent {
  seq: number;
  event: RunwardenEvent;
  reported: boolean;
  alerted: boolean;
}

export interface ScannerStore {
  openRuns(): TrackedRun[];
  trackedRun(runId: string): TrackedRun | undefined;
  stepFailuresOf(runId: string): Map<string, StepFailureCount>;
  getState(key: string): string | undefined;
  setState(key: string, value: string): void;
  /**
   * Events in Redis (enqueued) since `sinceIso` that the ledger has not
   * acknowledged: run_completed without a report, any event without an alert
   * row. After Redis lost its data, these are the jobs that may be gone.
   */
  unacknowledged(sinceIso: string, afterSeq: number, limit: number): UnacknowledgedEvent[];
  /** The id the outbox holds for a run's stall n (recorded maybe under an older id encoding). */
  stalledEventId(runId: string, stall: number): string | undefined;
  /** A run's recorded run_stalled and run_recovered events, oldest first (for `stallPeriods`). */
  stallEventsOf(runId: string): RunwardenEvent[];
  /** Writes a scan's outcome; returns the events that were new to the outbox. */
  commit(scan: ScanCommit): RunwardenEvent[];
  /** Events recorded but not yet marked enqueued, oldest first. */
  pending(limit: number): RunwardenEvent[];
  markEnqueued(ids: readonly string[], at: string): void;
}

interface RunRow {
  run_id: string;
  completed: number;
  stalled: number;
  stall_count: number;
  stall_change_ms: number | null;
}

const toTracked = (r: RunRow): TrackedRun => ({
  runId: r.run_id,
  completed: r.completed === 1,
  stalled: r.stalled === 1,
  stallCount: r.stall_count,
  stallChangeMs: r.stall_change_ms,
});

export function createScannerStore(db: SqliteDb, now: () => number = Date.now): ScannerStore {
  const open = db.prepare('SELECT * FROM runwarden_runs WHERE completed = 0');
  const one = db.prepare('SELECT * FROM runwarden_runs WHERE run_id = ?');
  const failuresOf = db.prepare(
    'SELECT step_id AS stepId, run_id AS runId, failures, last_failure_key AS lastFailureKey FROM runwarden_step_failures WHERE run_id = ?',
  );
  const getState = db.prepare('SELECT value FROM runwarden_scanner_state WHERE key = ?').pluck();
  const setState = db.prepare(
    'INSERT INTO runwarden_scanner_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  const insertEvent = db.prepare(
    `INSERT INTO runwarden_events (id, type, run_id, pipeline, detected_at, changed_at, payload)
     VALUES (@id, @type, @runId, @pipeline, @detectedAt, @changedAt, @payload) ON CONFLICT(id) DO NOTHING`,
  );
  const upsertRun = db.prepare(
    `INSERT INTO runwarden_runs (run_id, completed, stalled, stall_count, stall_change_ms, first_seen_at)
     VALUES (@runId, @completed, @stalled, @stallCount, @stallChangeMs, @at)
     ON CONFLICT(run_id) DO UPDATE SET completed = excluded.completed, stalled = excluded.stalled,
       stall_count = excluded.stall_count, stall_change_ms = excluded.stall_change_ms`,
  );
  const upsertFailure = db.prepare(
    `INSERT INTO runwarden_step_failures (step_id, run_id, failures, last_failure_key) VALUES (@stepId, @runId, @failures, @lastFailureKey)
     ON CONFLICT(step_id) DO UPDATE SET failures = excluded.failures, last_failure_key = excluded.last_failure_key`,
  );
  const stalledId = db
    .prepare(
      "SELECT id FROM runwarden_events WHERE run_id = ? AND type = 'run_stalled' AND json_extract(payload, '$.stall') = ? ORDER BY seq LIMIT 1",
    )
    .pluck();
  const stallEvents = db
    .prepare(
      "SELECT payload FROM runwarden_events WHERE run_id = ? AND type IN ('run_stalled', 'run_recovered') ORDER BY seq",
    )
    .pluck();
  const unacked = db.prepare(
    `SELECT e.seq, e.payload,
       EXISTS (SELECT 1 FROM runwarden_reports r WHERE r.event_id = e.id) AS reported,
       EXISTS (SELECT 1 FROM runwarden_alerts a WHERE a.event_id = e.id) AS alerted
     FROM runwarden_events e
     WHERE e.seq > ? AND e.enqueued_at IS NOT NULL AND e.detected_at >= ?
     ORDER BY e.seq LIMIT ?`,
  );
  const pending = db
    .prepare('SELECT payload FROM runwarden_events WHERE enqueued_at IS NULL ORDER BY seq LIMIT ?')
    .pluck();
  const mark = db.prepare(
    'UPDATE runwarden_events SET enqueued_at = ? WHERE id = ? AND enqueued_at IS NULL',
  );

  const commit = db.transaction((scan: ScanCommit): RunwardenEvent[] => {
    const fresh: RunwardenEvent[] = [];
    for (const e of scan.events) {
      const info = insertEvent.run(outboxRow(e));
      if (info.changes > 0) fresh.push(e);
    }
    const at = new Date(now()).toISOString();
    for (const r of scan.runs) {
      upsertRun.run({
        runId: r.runId,
        completed: r.completed ? 1 : 0,
        stalled: r.stalled ? 1 : 0,
        stallCount: r.stallCount,
        stallChangeMs: r.stallChangeMs,
        at,
      });
    }
    for (const f of scan.stepFailures) upsertFailure.run(f);
    if (scan.runsCursor !== undefined) setState.run('runs_cursor', String(scan.runsCursor));
    for (const [key, value] of Object.entries(scan.state ?? {})) setState.run(key, value);
    return fresh;
  });
  const markAll = db.transaction((ids: readonly string[], at: string) => {
    for (const id of ids) mark.run(at, id);
  });

  return {
    openRuns: () => (open.all() as RunRow[]).map(toTracked),
    trackedRun: (runId) => {
      const row = one.get(runId) as RunRow | undefined;
      return row ? toTracked(row) : undefined;
    },
    stepFailuresOf: (runId) =>
      new Map((failuresOf.all(runId) as StepFailureCount[]).map((f) => [f.stepId, f])),
    getState: (key) => getState.get(key) as string | undefined,
    setState: (key, value) => void setState.run(key, value),
    unacknowledged: (sinceIso, afterSeq, limit) =>
      (
        unacked.all(afterSeq, sinceIso, limit) as {
          seq: number;
          payload: string;
          reported: number;
          alerted: number;
        }[]
      ).map((r) => ({
        seq: r.seq,
        event: JSON.parse(r.payload) as RunwardenEvent,
        reported: r.reported === 1,
        alerted: r.alerted === 1,
      })),
    stalledEventId: (runId, stall) => stalledId.get(runId, stall) as string | undefined,
    stallEventsOf: (runId) =>
      (stallEvents.all(runId) as string[]).map((p) => JSON.parse(p) as RunwardenEvent),
    // IMMEDIATE: take the write lock up front, so a busy database fails fast here, not half-way.
    commit: (scan) => commit.immediate(scan),
    pending: (limit) =>
      (pending.all(limit) as string[]).map((p) => JSON.parse(p) as RunwardenEvent),
    markEnqueued: (ids, at) => markAll.immediate(ids, at),
  };
}

/** An event as the named parameters of an INSERT INTO runwarden_events (the outbox). */
export function outboxRow(e: RunwardenEvent) {
  return {
    id: e.id,
    type: e.type,
    runId: e.runId,
    pipeline: e.pipeline,
    detectedAt: e.detectedAt,
    changedAt: e.changedAt ?? null,
    payload: JSON.stringify(e),
  };
}
