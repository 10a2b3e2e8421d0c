import { describe, expect, it } from 'vitest';
import { parseScannerStatus, scannerStatusKey } from './status-keys.js';

describe('scanner status contract', () => {
  it('keys the hash under the prefix', () => {
    expect(scannerStatusKey('rw')).toBe('rw:scanner:status');
  });

  it('reads what the scanner writes, numbers as numbers and absent fields as null', () => {
    const status = parseScannerStatus({
      holder: 'host-1.abc',
      lastScanAt: '2026-12-02T10:00:00.000Z',
      lastScanMs: '12',
      activeRuns: '3',
      eventsEnqueued: '40',
      skippedRows: '2',
      skippedRowsText: '2 rows skipped: runs rowid 7 (run_id is NULL), …',
    });
    expect(status).toEqual({
      holder: 'host-1.abc',
      lastScanAt: '2026-12-02T10:00:00.000Z',
      lastScanMs: 12,
      activeRuns: 3,
      lastDetectionLagMs: null,
      eventsEnqueued: 40,
      skippedRows: 2,
      skippedRowsText: '2 rows skipped: runs rowid 7 (run_id is NULL), …',
    });
  });

  it('reads an empty hash (no scanner has run yet) as nothing known', () => {
    expect(parseScannerStatus({})).toMatchObject({
      holder: null,
      lastScanAt: null,
      lastScanMs: null,
      eventsEnqueued: 0,
      skippedRows: 0,
    });
  });
});
