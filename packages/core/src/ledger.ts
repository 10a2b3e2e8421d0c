/**
 * What workers report back to the scanner through the `ledger` queue. Workers
 * never open SQLite; the scanner records these in runwarden_* tables.
 */
import { encodeIdPart } from './events.js';

export interface ArchiveOutcome {
  status: 'archived' | 'skipped' | 'failed';
  path?: string;
  bytes?: number;
  /** Bytes of the source folder (files' contents). */
  sourceBytes?: number;
  entries?: number;
  sha256?: string;
  verified?: boolean;
  /** Why it was skipped or failed. */
  reason?: string;
  /** Files left out (symlinks out of the worktree, special files), with why. */
  skippedFiles?: { path: string; reason: string }[];
  /** Files archived with a caveat (changed while archiving, a time clamped), with what. */
  warnings?: { path: string; warning: string }[];
  durationMs?: number;
  /** True when the archive already existed and was not rebuilt. */
  reused?: boolean;
}

export interface ArchiveLedgerEntry {
  kind: 'archive';
  eventId: string;
  runId: string;
  outcome: ArchiveOutcome;
  at: string;
}

export interface ReportLedgerEntry {
  kind: 'report';
  eventId: string;
  runId: string;
  path: string;
  outcome: string;
  at: string;
}

export type AlertDeliveryStatus =
  | 'sent'
  | 'held'
  | 'digest_sent'
  | 'failed'
  | 'skipped'
  /** An active silence covered the event (`runwarden silence`); nothing was sent. */
  | 'silenced';

export interface AlertLedgerEntry {
  kind: 'alert';
  /** The notification's id: `<eventId>.<rule>.<channel>` or a digest id. */
  deliveryId: string;
  eventId: string | null;
  runId: string | null;
  rule: string;
  channel: string;
  severity: string;
  status: AlertDeliveryStatus;
  /** Event ids covered (more than one for a digest). */
  eventIds: string[];
  detail?: string;
  at: string;
}

/** The retention job deleted a run's archive and reports (runwarden_retention). */
export interface RetentionLedgerEntry {
  kind: 'retention';
  runId: string;
  pipeline: string | null;
  /** When the archive was made (its manifest's verifiedAt, else the file's time). */
  archivedAt: string;
  reason: 'maxAge' | 'keepLast' | 'maxTotalSize';
  /** Bytes of the deleted zip. */
  bytes: number;
  files: string[];
  at: string;
}

export type LedgerEntry =
  ArchiveLedgerEntry | ReportLedgerEntry | AlertLedgerEntry | RetentionLedgerEntry;

/** Deterministic ledger job id, so a retried worker does not record twice. */
export function ledgerJobId(entry: LedgerEntry): string {
  switch (entry.kind) {
    case 'archive':
      return `archive.${entry.eventId}`;
    case 'report':
      return `report.${entry.eventId}`;
    case 'alert':
      return `alert.${entry.deliveryId}.${entry.status}`;
    case 'retention':
      return `retention.${encodeIdPart(entry.runId)}.${Date.parse(entry.archivedAt)}`;
  }
}
