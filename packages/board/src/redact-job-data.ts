/**
 * Job data shown in Bull Board must not leak secrets: alert jobs can carry
 * channel settings (webhook URLs, SMTP passwords, tokens). The board runs
 * every job's data and return value through `redactJobData` before the UI
 * sees it; Redis keeps the real values, so workers are unaffected.
 */
import { redactUrl } from '@runwarden/core';

/** What a masked value is replaced with. Also used to refuse edits that would write it back. */
export const REDACTED = '[redacted]';

/** Keys whose values are secrets, whatever their depth (compared case-insensitively). */
const SECRET_KEY =
  /^(pass|password|passwd|secret|token|apikey|api_key|authorization|cookie|webhookurl|smtppass|credentials?)$|(password|secret|token)$/i;

/** `scheme://user:secret@host` anywhere in a string value. */
const URL_WITH_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:[^\s/@]+@[^\s"']+/gi;

/**
 * Returns a copy of `value` with secret-looking keys masked and passwords in
 * URLs removed. Cycles and depth are bounded, since job data is arbitrary JSON.
 */
export function redactJobData(value: unknown, depth = 0): unknown {
  if (depth > 20) return value;
  if (typeof value === 'string')
    return value.replace(URL_WITH_CREDENTIALS, (url) => redactUrl(url));
  if (Array.isArray(value)) return value.map((item) => redactJobData(item, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const masked = SECRET_KEY.test(key) && inner !== null && inner !== '' && inner !== undefined;
    out[key] = masked ? REDACTED : redactJobData(inner, depth + 1);
  }
  return out;
}

/** True when a request body would write a mask back into job data. */
export function containsRedacted(value: unknown, depth = 0): boolean {
  if (depth > 20) return false;
  if (typeof value === 'string') return value.includes(REDACTED) || value.includes(':***@');
  if (Array.isArray(value)) return value.some((item) => containsRedacted(item, depth + 1));
  if (value !== null && typeof value === 'object')
    return Object.values(value).some((inner) => containsRedacted(inner, depth + 1));
  return false;
}
