import { describe, expect, it } from 'vitest';
import { parseTimestamp, toIsoTimestamp } from './timestamps.js';

describe('pipeline timestamps', () => {
  it('reads ISO text and unix seconds, and rejects the rest', () => {
    expect(parseTimestamp('2025-12-05T14:32:17Z')).toBe(Date.UTC(2025, 11, 5, 14, 32, 17));
    expect(parseTimestamp('2025-12-05 14:32:17')).toBe(Date.UTC(2025, 11, 5, 14, 32, 17));
    expect(parseTimestamp(1764945137)).toBe(1764945137000);
    expect(parseTimestamp('1764945137')).toBe(1764945137000);
    expect(parseTimestamp('yesterday')).toBeUndefined();
    expect(parseTimestamp('Dec 5 2025')).toBeUndefined();
    expect(parseTimestamp(null)).toBeUndefined();
  });

  it('turns a nullable timestamp into ISO text: null stays null, unreadable is undefined', () => {
    expect(toIsoTimestamp(null)).toBeNull();
    expect(toIsoTimestamp(1764945137)).toBe('2025-12-05T14:32:17.000Z');
    expect(toIsoTimestamp('soon')).toBeUndefined();
  });
});
