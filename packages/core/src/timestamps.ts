/**
 * Pipeline timestamps are ISO-8601 text (`2025-12-05T14:32:17Z`) or unix
 * seconds (as a number or numeric text). Anything else is a bad row.
 */

/**
 * Milliseconds since the epoch, or `undefined` when the value is not a
 * timestamp or lies beyond what a Date can represent.
 */
export function parseTimestamp(value: unknown): number | undefined {
  const ms = parseAnyTimestamp(value);
  // Beyond what a Date can hold (year 275760): `99999999999999` seconds is not a time.
  return ms !== undefined && Math.abs(ms) <= MAX_DATE_MS ? ms : undefined;
}

const MAX_DATE_MS = 8.64e15;

function parseAnyTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  if (typeof value === 'bigint') return Number(value) * 1000;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Date.parse accepts loose forms ("Dec 5"); require an ISO date at least.
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text))
    return undefined;
  // SQLite's datetime() writes "YYYY-MM-DD HH:MM:SS" without a zone: that is UTC.
  const iso = text.includes(' ') ? text.replace(' ', 'T') : text;
  const zoned = /T.*(Z|[+-]\d{2}:?\d{2})$/.test(iso) || !iso.includes('T') ? iso : `${iso}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A nullable pipeline timestamp as ISO text; `undefined` when it is present but unreadable. */
export function toIsoTimestamp(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  const ms = parseTimestamp(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
