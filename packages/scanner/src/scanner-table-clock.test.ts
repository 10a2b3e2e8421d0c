/**
 * The runs table is emptied or recreated under the scanner (rowids start
 * again at 1), and a pipeline host's clock runs ahead: the scanner still sees
 * every finished run, once, and still stalls a silent run.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QUEUES } from '@runwarden/core';
import { PIPELINE_SCHEMA_SQL } from '@runwarden/store';
import { createTestContext, type TestContext, waitFor } from '@runwarden/testing';
import { createScannerFixture, logsMatching, type ScannerFixture } from './scanner.fixture.js';

let ctx: TestContext;
let fx: ScannerFixture;
beforeEach(() => {
  ctx = createTestContext('scanner-table');
  fx = createScannerFixture(ctx);
});
afterEach(() => ctx.cleanup());

const alertIds = async () =>
  (await fx.queues.get(QUEUES.alert).getJobs(['waiting', 'active', 'completed', 'failed']))
    .map((j) => j.id)
    .sort();

async function leader(instanceId: string) {
  const scanner = fx.scanner({ instanceId });
  await scanner.start();
  await waitFor(() => scanner.isLeader(), 'the lease');
  return scanner;
}

function recreateRuns(): void {
  fx.writer.db.exec('DROP TABLE runs');
  fx.writer.db.exec(PIPELINE_SCHEMA_SQL.split(';')[0]!);
}

describe('a runs table that starts its rowids again', () => {
  it('emptied while the scanner runs: runs inserted finished are announced once', async () => {
    for (const runId of ['a', 'b', 'c']) fx.writer.run({ runId, state: 'succeeded' });
    const scanner = await leader('s1');
    await waitFor(async () => (await alertIds()).length === 3, 'the first three runs');
    fx.writer.db.exec('DELETE FROM runs');
    fx.writer.run({ runId: 'd', state: 'failed' });
    await waitFor(
      async () => (await alertIds()).includes('d.completed'),
      'the run after the reset',
    );
    await scanner.scanNow();
    expect(await alertIds()).toEqual(['a.completed', 'b.completed', 'c.completed', 'd.completed']);
    expect(logsMatching(fx.logs, 'The runs table was emptied or recreated')).toHaveLength(1);
  });

  it('recreated with more rows while no scanner ran: old runs stay quiet, new ones are announced', async () => {
    fx.writer.run({ runId: 'old-1', state: 'succeeded' });
    fx.writer.run({ runId: 'old-2', state: 'succeeded' });
    const first = await leader('s1');
    await waitFor(async () => (await alertIds()).length === 2, 'the old runs');
    await first.close();
    recreateRuns();
    for (const runId of ['new-1', 'new-2', 'new-3', 'old-1'])
      fx.writer.run({ runId, state: 'succeeded' });
    const second = await leader('s2');
    await waitFor(async () => (await alertIds()).length === 5, 'the new runs');
    await second.scanNow();
    expect(await alertIds()).toEqual([
      'new-1.completed',
      'new-2.completed',
      'new-3.completed',
      'old-1.completed',
      'old-2.completed',
    ]);
    expect(
      logsMatching(
        fx.logs,
        'The runs table was rewritten (rowid 2 now holds run new-2, not old-2)',
      ),
    ).toHaveLength(1);
  });
});

describe('a runs row whose run_id is NULL when the scanner passes it', () => {
  it('is named while it stays bad, and announced once when the pipeline fixes it', async () => {
    fx.writer.run({ runId: 'before', state: 'succeeded' });
    fx.writer.run({ runId: 'broken', state: 'failed' });
    fx.writer.db.prepare("UPDATE runs SET run_id = NULL WHERE run_id = 'broken'").run();
    fx.writer.run({ runId: 'after', state: 'succeeded' });
    const scanner = await leader('s1');
    await waitFor(async () => (await alertIds()).length === 2, 'the two usable runs');
    // Still named on every scan, not only the one that passed it.
    const later = await scanner.scanNow();
    expect(later.skipped).toEqual([
      expect.objectContaining({ table: 'runs', column: 'run_id', rowid: 2 }),
    ]);
    fx.writer.db.prepare("UPDATE runs SET run_id = 'fixed' WHERE rowid = 2").run();
    await waitFor(async () => (await alertIds()).includes('fixed.completed'), 'the fixed run');
    await scanner.scanNow();
    expect((await scanner.scanNow()).skipped).toEqual([]);
    expect(await alertIds()).toEqual(['after.completed', 'before.completed', 'fixed.completed']);
    expect(logsMatching(fx.logs, 'Run fixed (runs rowid 2) now has a usable run_id')).toHaveLength(
      1,
    );
  });
});

describe('a pipeline clock ahead of the scanner', () => {
  it('warns once, and the run still stalls after stallThreshold of scanner time', async () => {
    fx.writer.run({ runId: 'ahead', state: 'running', updatedAt: fx.iso(3_600_000) });
    const scanner = await leader('s1');
    await waitFor(async () => (await alertIds()).includes('ahead.started'), 'run_started');
    await scanner.scanNow();
    expect(await alertIds()).toEqual(['ahead.started']);
    fx.clock.now += 301;
    await scanner.scanNow();
    expect(await alertIds()).toEqual(['ahead.stalled.1', 'ahead.started']);
    const [warning] = logsMatching(fx.logs, 'Run ahead has a time 3600 s in the future');
    expect(warning).toMatchObject({ level: 40, runId: 'ahead' });
    expect(logsMatching(fx.logs, 'in the future')).toHaveLength(1);
  });
});

describe('event ids', () => {
  it('keep a dotted run id apart, and a recovery names its stall by the id recorded for it', async () => {
    fx.writer.run({ runId: 'a.b', state: 'running', updatedAt: fx.iso(-1_000) });
    const first = await leader('s1');
    await waitFor(async () => (await alertIds()).includes('a%2Eb.stalled.1'), 'the stall');
    await first.close();
    // As an older scanner (ids without "." encoded) would have recorded it.
    fx.writer.db
      .prepare("UPDATE runwarden_events SET id = 'a.b.stalled.1' WHERE id = 'a%2Eb.stalled.1'")
      .run();
    fx.clock.now += 1_000;
    fx.writer.run({ runId: 'a.b', state: 'running' });
    const second = await leader('s2');
    const job = await waitFor(
      () => fx.queues.get(QUEUES.alert).getJob('a%2Eb.recovered.1'),
      'the recovery',
    );
    expect(job.data).toMatchObject({ type: 'run_recovered', stalledEventId: 'a.b.stalled.1' });
    await second.close();
  });
});
