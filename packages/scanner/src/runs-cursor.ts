/**
 * The rowid cursor over `runs` finds runs inserted already finished. It is
 * only right while the table is the one it was read from: a table emptied or
 * recreated starts its rowids again at 1, and a cursor left above them would
 * never see a new run. The check costs two primary-key lookups per scan:
 *
 *   highest rowid < cursor          ─▶ emptied or recreated ─┐
 *   run at the cursor's rowid ≠ the ─▶ rewritten            ─┴▶ cursor 0, warn; the rescan skips
 *   run recorded there                                         runs already announced
 *
 * (A run deleted at the cursor's rowid is not a reset: pipelines prune.)
 */
import type { Logger } from '@runwarden/core';
import type { PipelineReader, ScanCommit, ScannerStore } from '@runwarden/store';

export interface RunsCursorCheck {
  reader: PipelineReader;
  store: ScannerStore;
  logger: Logger;
  /** Receives the reset cursor, so the reset is stored with the scan. */
  commit: ScanCommit;
}

/** The cursor to read new runs after: the stored one, or 0 when the table was replaced. */
export function checkRunsCursor({ reader, store, logger, commit }: RunsCursorCheck): number {
  const cursor = Number(store.getState('runs_cursor') ?? 0);
  if (!reader.runsHaveRowid || cursor <= 0) return cursor;
  const highest = reader.maxRunRowid();
  const recorded = store.getState('runs_cursor_run');
  const now = reader.runIdAt(cursor);
  const rewritten = recorded !== undefined && now !== undefined && now !== recorded;
  if (highest >= cursor && !rewritten) return cursor;
  logger.warn(
    { cursor, highestRowid: highest, runAtCursor: now, recordedRun: recorded },
    highest < cursor
      ? `The runs table was emptied or recreated (its highest rowid is ${highest}, the scanner had read up to ${cursor}); the scanner reads it again from the start. Runs already announced are not announced again`
      : `The runs table was rewritten (rowid ${cursor} now holds run ${now}, not ${recorded}); the scanner reads it again from the start. Runs already announced are not announced again`,
  );
  commit.runsCursor = 0;
  return 0;
}
