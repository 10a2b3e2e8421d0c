import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['100ms', 100],
    ['10s', 10_000],
    ['30m', 1_800_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    ['250', 250],
    [250, 250],
  ])('reads %s as %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10 sec', 'ten', '10x', '-5s', 's10'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('formats milliseconds back', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(250)).toBe('250ms');
  });
});
