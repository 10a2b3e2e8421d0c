/**
 * Durations as people write them in config: `100ms`, `10s`, `30m`, `1h`, `1d`,
 * or a plain number of milliseconds. Several parts may be joined (`1h30m`).
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

export const DURATION_HINT = 'a duration like 100ms, 10s, 30m, 1h or 1d';

/** Returns milliseconds, or `undefined` when the text is not a duration. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const text = input.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (text === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return Math.round(total);
}

/** `90000` → `1m30s`: for messages that show a configured window. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return rest > 0 ? `${out}${rest}ms` : out;
}
