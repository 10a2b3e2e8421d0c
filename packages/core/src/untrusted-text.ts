/**
 * Text that comes from outside (run ids and step errors from the pipeline,
 * answers of HTTP receivers) made safe to show. A terminal obeys escape
 * sequences (`ESC [ 2 J` clears it, `ESC ] 52` writes the clipboard), and a
 * log line or dead letter is read by people: neither should be steered by
 * whoever wrote the text.
 */

/* eslint-disable no-control-regex */
/** C0 controls, DEL, C1 controls, and the bidirectional overrides that reorder what a reader sees. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/**
 * For terminals: every control character shown as its escape, so
 * `ESC[2J` prints as `\u001b[2J` and a newline as `\u000a`. Nothing is
 * lost; the text only stops acting on the terminal.
 */
export function showControlChars(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * For a peer's words in an error or log line: control characters dropped,
 * runs of white space made one space, trimmed, and cut to `maxChars` (with
 * `…`), so one answer cannot forge log lines or flood a dead letter.
 */
export function oneLine(text: string, maxChars = 200): string {
  const flat = text.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars)}…` : flat;
}

/** Escapes text for HTML element content and quoted attribute values (every page and email runwarden renders). */
export const escapeHtml = (text: unknown): string =>
  String(text ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
