/**
 * Records what workers report through the `ledger` queue in
 * runwarden_archives / runwarden_reports / runwarden_alerts. Upserts keyed by
 * the event id (or delivery id + status), so recording an entry twice leaves
 * one row.
 */
import type { LedgerEntry } from '@runwarden/core/essentials';
import type { SqliteDb } from './open-db.js';

export interface LedgerRecorder {
  record(entry: LedgerEntry): void;
  /** Records every entry in one transaction: all committed, or none (it throws). */
  recordMany(entries: readonly LedgerEntry[]): void;
}

const bool = (v: boolean | undefined) => (v === undefined ? null : v ? 1 : 0);

export function createLedgerRecorder(db: SqliteDb): LedgerRecorder {
  const archive = db.prepare(
    `INSERT INTO runwarden_archives (event_id, run_id, status, path, bytes, source_bytes, entries, sha256, verified, reused, reason, duration_ms, detail, at)
     VALUES (@eventId, @runId, @status, @path, @bytes, @sourceBytes, @entries, @sha256, @verified, @reused, @reason, @durationMs, @detail, @at)
     ON CONFLICT(event_id) DO UPDATE SET status = excluded.status, path = excluded.path, bytes = excluded.bytes,
       source_bytes = excluded.source_bytes, entries = excluded.entries, sha256 = excluded.sha256, verified = excluded.verified,
       reused = excluded.reused, reason = excluded.reason, duration_ms = excluded.duration_ms, detail = excluded.detail, at = excluded.at`,
  );
  const report = db.prepare(
    `INSERT INTO runwarden_reports (event_id, run_id, path, outcome, at) VALUES (@eventId, @runId, @path, @outcome, @at)
     ON CONFLICT(event_id) DO UPDATE SET path = excluded.path, outcome = excluded.outcome, at = excluded.at`,
  );
  const alert = db.prepare(
    `INSERT INTO runwarden_alerts (delivery_id, status, event_id, run_id, rule, channel, severity, event_ids, detail, at)
     VALUES (@deliveryId, @status, @eventId, @runId, @rule, @channel, @severity, @eventIds, @detail, @at)
     ON CONFLICT(delivery_id, status) DO NOTHING`,
  );

  const retention = db.prepare(
    `INSERT INTO runwarden_retention (run_id, archived_at, pipeline, reason, bytes, files, at)
     VALUES (@runId, @archivedAt, @pipeline, @reason, @bytes, @files, @at) ON CONFLICT(run_id, archived_at) DO NOTHING`,
  );

  function record(entry: LedgerEntry): void {
    switch (entry.kind) {
      case 'archive': {
        const o = entry.outcome;
        archive.run({
          eventId: entry.eventId,
          runId: entry.runId,
          status: o.status,
          path: o.path ?? null,
          bytes: o.bytes ?? null,
          sourceBytes: o.sourceBytes ?? null,
          entries: o.entries ?? null,
          sha256: o.sha256 ?? null,
          verified: bool(o.verified),
          reused: bool(o.reused),
          reason: o.reason ?? null,
          durationMs: o.durationMs ?? null,
          detail: o.skippedFiles?.length ? JSON.stringify({ skippedFiles: o.skippedFiles }) : null,
          at: entry.at,
        });
        return;
      }
      case 'report':
        report.run({
          eventId: entry.eventId,
          runId: entry.runId,
          path: entry.path,
          outcome: entry.outcome,
          at: entry.at,
        });
        return;
      case 'alert':
        alert.run({
          deliveryId: entry.deliveryId,
          status: entry.status,
          eventId: entry.eventId,
          runId: entry.runId,
          rule: entry.rule,
          channel: entry.channel,
          severity: entry.severity,
          eventIds: JSON.stringify(entry.eventIds),
          detail: entry.detail ?? null,
          at: entry.at,
        });
        return;
      case 'retention':
        retention.run({
          runId: entry.runId,
          archivedAt: entry.archivedAt,
          pipeline: entry.pipeline,
          reason: entry.reason,
          bytes: entry.bytes,
          files: JSON.stringify(entry.files),
          at: entry.at,
        });
        return;
    }
  }
  const recordAll = db.transaction((entries: readonly LedgerEntry[]) => {
    for (const entry of entries) record(entry);
  });
  return { record, recordMany: (entries) => recordAll(entries) };
}
