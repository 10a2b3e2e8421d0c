/**
 * Rows the scan had to skip: one warning per row and column, repeated at most
 * once per hour while the row stays bad, and the current list for the status
 * hash ("2 rows skipped: …") and /metrics.
 */
import type { Logger } from '@runwarden/core';
import { describeSkippedRow, formatRowValue, type SkippedRow } from '@runwarden/store';

const REPEAT_MS = 60 * 60_000;

export interface SkippedRowLog {
  /** Records this scan's skipped rows, warning about those not warned of in the last hour. */
  report(rows: readonly SkippedRow[], now: number): void;
  /** A one-line summary for operators, e.g. `2 rows skipped: runs rowid 7 …; …` (empty when none). */
  summary(rows: readonly SkippedRow[]): string;
}

const keyOf = (r: SkippedRow) =>
  `${r.table}\0${r.rowid ?? ''}\0${r.runId ?? ''}\0${r.column}\0${formatRowValue(r.value)}`;

export function createSkippedRowLog(logger: Logger): SkippedRowLog {
  const warnedAt = new Map<string, number>();
  return {
    report(rows, now) {
      for (const [key, at] of warnedAt) if (now - at >= REPEAT_MS) warnedAt.delete(key);
      for (const row of rows) {
        const key = keyOf(row);
        if (warnedAt.has(key)) continue;
        warnedAt.set(key, now);
        logger.warn(
          {
            table: row.table,
            rowid: row.rowid,
            runId: row.runId,
            column: row.column,
            value: formatRowValue(row.value),
          },
          `Skipping a row of the pipeline's database: ${describeSkippedRow(row)}. Fix the row; every other run is still monitored (repeated hourly while it stays)`,
        );
      }
    },
    summary(rows) {
      if (rows.length === 0) return '';
      const shown = rows.slice(0, 3).map(describeSkippedRow).join('; ');
      const more = rows.length > 3 ? `; and ${rows.length - 3} more` : '';
      return `${rows.length} row${rows.length === 1 ? '' : 's'} skipped: ${shown}${more}`;
    },
  };
}
