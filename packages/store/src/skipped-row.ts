/**
 * A pipeline row the scanner could not use, named precisely enough for a
 * person to find and fix it: table, rowid, column, value (and the run, when
 * the row has a usable id). The scan skips it and goes on.
 */

export interface SkippedRow {
  table: 'runs' | 'steps';
  /** The row's rowid; null for views (no rowid) or a value summarised over steps. */
  rowid: number | null;
  /** The run the row belongs to, when its id was readable. */
  runId?: string;
  column: string;
  value: unknown;
  /** Why the value is unusable, e.g. "is NULL", "is out of range". */
  reason: string;
}

/** A value as a short, printable literal: long text is cut, binary data described. */
export function formatRowValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Uint8Array) return `a BLOB of ${value.length} bytes`;
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/**
 * `runs rowid 7 (run r-1): updated_at 99999999999999 is neither …`. A value
 * of `undefined` means the reason describes several rows and no one value.
 */
export function describeSkippedRow(row: SkippedRow): string {
  const where = row.rowid === null ? row.table : `${row.table} rowid ${row.rowid}`;
  const run = row.runId === undefined ? '' : ` (run ${row.runId})`;
  const value = row.value === undefined ? '' : ` ${formatRowValue(row.value)}`;
  return `${where}${run}: ${row.column}${value} ${row.reason}`;
}

/**
 * An id column as text: TEXT as is, INTEGER and REAL as their decimal text
 * (a table declared without types stores `42` as an integer). NULL and BLOB
 * cannot name a run or step.
 */
export function readId(value: unknown): { ok: true; id: string } | { ok: false; reason: string } {
  if (typeof value === 'string') return { ok: true, id: value };
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, id: String(value) };
  if (typeof value === 'bigint') return { ok: true, id: String(value) };
  if (value === null || value === undefined) return { ok: false, reason: 'cannot identify a row' };
  return { ok: false, reason: 'is not text or a number' };
}

/** The value to look an id up by, besides its text: `42` for "42", so integer keys match too. */
export function idLookupKey(id: string): string | number {
  return /^-?\d{1,15}$/.test(id) ? Number(id) : id;
}
