import { describe, expect, it } from 'vitest';
import { parseAlertStats, parseScannerStatus, toEpochMs } from './runtime-status.js';

describe('reading what the scanner and alert worker publish', () => {
  it('accepts epoch milliseconds, epoch seconds and ISO-8601 times', () => {
    expect(toEpochMs('1764945137000')).toBe(1764945137000);
    expect(toEpochMs('1764945137')).toBe(1764945137000);
    expect(toEpochMs('2025-12-05T14:32:17Z')).toBe(Date.parse('2025-12-05T14:32:17Z'));
    expect(toEpochMs('yesterday')).toBeUndefined();
    expect(toEpochMs('')).toBeUndefined();
  });

  it('turns missing or malformed fields into undefined instead of failing', () => {
    expect(
      parseScannerStatus({
        holder: ' ',
        lastScanMs: '-3',
        activeRuns: 'x',
        lastDetectionLagMs: '40',
      }),
    ).toEqual({
      holder: undefined,
      lastScanAt: undefined,
      lastScanMs: undefined,
      activeRuns: undefined,
      lastDetectionLagMs: 40,
      eventsEnqueued: undefined,
    });
    expect(parseAlertStats({ sent: '3', held: 'NaN', other: '9' })).toEqual({ sent: 3 });
  });
});
