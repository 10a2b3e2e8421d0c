/**
 * Backfill: past runs that finished without an archive and a report (before
 * runwarden watched the database, or while it was down too long) are sent
 * through the same path as fresh ones.
 *
 *   runs (terminal, no report, finished since) ─▶ snapshot + steps ─▶ run_completed
 *     ─▶ report job already in Redis? skip ─▶ enqueueEvent (flow, alert unless --no-alerts)
 *     ─▶ outbox row marked enqueued
 *
 * The event id is the scanner's (`<run>.completed`), so BullMQ and the outbox
 * drop a duplicate whichever of the two sends it first; running backfill
 * twice queues nothing the second time.
 */
import {
  enqueueEvent,
  type EventType,
  MAX_SNAPSHOT_STEPS,
  parseTimestamp,
  QUEUES,
  type QueueSet,
  type RunCompletedEvent,
} from '@runwarden/core';
import { detectRunEvents } from '@runwarden/scanner';
import {
  createBackfillStore,
  createPipelineReader,
  type BackfillCandidate,
  type SqliteDb,
} from '@runwarden/store';

export interface BackfillOptions {
  /** Only runs that finished this long ago or less. */
  sinceMs: number;
  pipeline?: string;
  /** Add alert jobs as the scanner would. @defaultValue true */
  alerts?: boolean;
  /** Find and list, change nothing. @defaultValue false */
  dryRun?: boolean;
}

export interface BackfillDeps {
  db: SqliteDb;
  queues: QueueSet;
  /** Event types some alert rule can match (`alertableTypes`). */
  alertTypes: ReadonlySet<EventType>;
  /** @defaultValue Date.now */
  clock?: () => number;
  onProgress?: (done: number, total: number) => void;
}

interface BackfillRun {
  runId: string;
  pipeline: string | null;
  outcome: string;
  finishedAt: string;
}

export interface BackfillResult {
  /** Runs found (all of them on a dry run). */
  runs: BackfillRun[];
  queued: number;
  /** Runs whose report job is already in Redis (in flight or finished recently). */
  alreadyQueued: number;
  /** Runs that could not be turned into an event, with why. */
  skipped: { runId: string; reason: string }[];
}

const BATCH = 50;

function finishedMs(c: BackfillCandidate): number | undefined {
  return parseTimestamp(c.finishedAt ?? c.updatedAt) ?? parseTimestamp(c.updatedAt);
}

export async function backfillRuns(
  deps: BackfillDeps,
  options: BackfillOptions,
): Promise<BackfillResult> {
  const now = (deps.clock ?? Date.now)();
  const reader = createPipelineReader(deps.db);
  const store = createBackfillStore(deps.db);
  const result: BackfillResult = { runs: [], queued: 0, alreadyQueued: 0, skipped: [] };
  const events: RunCompletedEvent[] = [];
  const found = store
    .candidates(options.pipeline)
    .map((c) => ({ c, at: finishedMs(c) }))
    .filter((x): x is { c: BackfillCandidate; at: number } => x.at !== undefined)
    .filter((x) => x.at >= now - options.sinceMs)
    .sort((a, b) => a.at - b.at || a.c.runId.localeCompare(b.c.runId));
  reader.snapshot(() => {
    for (const { c } of found) {
      const summary = reader.runById(c.runId);
      if (!summary) continue;
      const detected = detectRunEvents({
        summary,
        steps: reader.stepsOf(c.runId, MAX_SNAPSHOT_STEPS, Number(summary.failed) || 0),
        now,
        stallThresholdMs: Number.MAX_SAFE_INTEGER,
      });
      if (!detected.ok) {
        result.skipped.push({ runId: c.runId, reason: detected.reason });
        continue;
      }
      const event = detected.events.find((e) => e.type === 'run_completed');
      if (!event || event.type !== 'run_completed') continue;
      events.push(event);
      result.runs.push({
        runId: event.runId,
        pipeline: event.pipeline,
        outcome: event.outcome,
        finishedAt: event.changedAt ?? event.detectedAt,
      });
    }
  });
  if (options.dryRun) return result;
  const alertTypes = options.alerts === false ? new Set<EventType>() : deps.alertTypes;
  const reports = deps.queues.get(QUEUES.report);
  for (let i = 0; i < events.length; i += BATCH) {
    const batch = events.slice(i, i + BATCH);
    const known = await Promise.all(batch.map((e) => reports.getJob(e.id)));
    const fresh = batch.filter((_, j) => !known[j]);
    await Promise.all(fresh.map((e) => enqueueEvent(deps.queues, e, alertTypes)));
    const at = new Date().toISOString();
    deps.db.transaction(() => fresh.forEach((e) => store.recordEnqueued(e, at))).immediate();
    result.queued += fresh.length;
    result.alreadyQueued += batch.length - fresh.length;
    deps.onProgress?.(Math.min(i + BATCH, events.length), events.length);
  }
  return result;
}
