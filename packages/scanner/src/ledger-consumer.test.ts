import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '@runwarden/core';
import type { LedgerRecorder } from '@runwarden/store';
import { createLedgerBatcher } from './ledger-consumer.js';

const entry = (runId: string): LedgerEntry => ({
  kind: 'report',
  eventId: `${runId}.completed`,
  runId,
  path: `reports/${runId}_summary.json`,
  outcome: 'succeeded',
  at: '2026-10-01T00:00:00.000Z',
});

/** Commits in memory; a batch holding a run id in `failing` throws, like a rolled-back transaction. */
function fakeRecorder(failing: ReadonlySet<string> = new Set()) {
  const committed: string[] = [];
  const batches: number[] = [];
  const recorder: LedgerRecorder = {
    record(e) {
      if (failing.has(e.kind === 'report' ? e.runId : ''))
        throw new Error(`cannot record ${e.kind}`);
      committed.push(e.kind === 'report' ? e.runId : e.kind);
    },
    recordMany(entries) {
      if (entries.some((e) => e.kind === 'report' && failing.has(e.runId)))
        throw new Error('rolled back');
      batches.push(entries.length);
      for (const e of entries) committed.push(e.kind === 'report' ? e.runId : e.kind);
    },
  };
  return { recorder, committed, batches };
}

describe('the ledger batcher', () => {
  it('writes entries that arrive together in one batch and settles each only after its commit', async () => {
    const { recorder, committed, batches } = fakeRecorder();
    const record = createLedgerBatcher(recorder, 64, 5);
    const settled: string[] = [];
    const all = ['a', 'b', 'c'].map((id) =>
      record(entry(id)).then(() => settled.push(`${id}:${committed.includes(id)}`)),
    );
    expect(committed).toEqual([]);
    await Promise.all(all);
    expect(batches).toEqual([3]);
    expect(settled).toEqual(['a:true', 'b:true', 'c:true']);
  });

  it('writes a full batch at once and starts the next', async () => {
    const { recorder, batches } = fakeRecorder();
    const record = createLedgerBatcher(recorder, 2, 1_000);
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => record(entry(id))));
    expect(batches).toEqual([2, 2]);
  });

  it('fails only the entry that cannot be written when its batch rolls back', async () => {
    const { recorder, committed } = fakeRecorder(new Set(['bad']));
    const record = createLedgerBatcher(recorder, 64, 5);
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((id) => record(entry(id))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(committed).toEqual(['a', 'c']);
  });
});
