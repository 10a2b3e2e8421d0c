import { describe, expect, it } from 'vitest';
import {
  parseAlertStats,
  parseArchiveProgress,
  parseScannerStatus,
  scannerStatusKey,
} from './status-keys.js';

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
      blindSince: null,
      blindReason: null,
      replicaWaitSince: null,
    });
  });

  it('turns missing or malformed fields into null instead of failing (another version may have written them)', () => {
    expect(
      parseScannerStatus({
        holder: ' ',
        lastScanAt: 'yesterday',
        lastScanMs: '-3',
        activeRuns: 'x',
        lastDetectionLagMs: '40',
        eventsEnqueued: 'Infinity',
        blindSince: '2026-12-02T10:00:00.000Z',
        blindReason: 'database missing',
        replicaWaitSince: 'soon',
      }),
    ).toMatchObject({
      holder: null,
      lastScanAt: null,
      lastScanMs: null,
      activeRuns: null,
      lastDetectionLagMs: 40,
      eventsEnqueued: 0,
      blindSince: '2026-12-02T10:00:00.000Z',
      blindReason: 'database missing',
      replicaWaitSince: null,
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

describe('alert stats contract', () => {
  it('reads every known counter that holds a count, and nothing else', () => {
    expect(
      parseAlertStats({ sent: '3', held: 'NaN', failed: '2', unmatched: '1', other: '9' }),
    ).toEqual({ sent: 3, failed: 2, unmatched: 1 });
  });
});

describe('archive progress contract', () => {
  it('reads the JSON BullMQ keeps, or the object, with absent or malformed counts as 0', () => {
    const full = { bytesDone: 10, bytesTotal: 40, entriesDone: 1, entriesTotal: 4 };
    expect(parseArchiveProgress(JSON.stringify(full))).toEqual(full);
    expect(parseArchiveProgress(full)).toEqual(full);
    expect(parseArchiveProgress('{"bytesDone":"x","bytesTotal":-1,"entriesDone":2}')).toEqual({
      bytesDone: 0,
      bytesTotal: 0,
      entriesDone: 2,
      entriesTotal: 0,
    });
    for (const raw of [null, undefined, '', 'not json', 7, '[1,2]'])
      expect(parseArchiveProgress(raw)).toEqual({
        bytesDone: 0,
        bytesTotal: 0,
        entriesDone: 0,
        entriesTotal: 0,
      });
  });
});
