/**
 * The same-run reference for the pipeline figures: raw BullMQ no-op jobs,
 * `addBulk` then a worker with concurrency 50 (as in BASELINES.md), on the
 * benchmark's own Redis under a prefix of its own, removed afterwards.
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';

export interface NoopThroughput {
  jobs: number;
  /** Jobs added per second by addBulk (batches of 1,000). */
  addPerSec: number;
  /** Jobs completed per second, from the worker's start to the last completion. */
  processPerSec: number;
}

export async function measureNoopJobs(
  redisUrl: string,
  jobs: number,
  concurrency = 50,
): Promise<NoopThroughput> {
  const prefix = `reference-${randomUUID().slice(0, 8)}`;
  const connection = { url: redisUrl };
  const queue = new Queue('noop', { connection, prefix });
  try {
    const t0 = performance.now();
    for (let i = 0; i < jobs; i += 1_000) {
      const batch = Array.from({ length: Math.min(1_000, jobs - i) }, (_, k) => ({
        name: 'noop',
        data: { i: i + k },
      }));
      await queue.addBulk(batch.map((b) => ({ ...b, opts: { removeOnComplete: true } })));
    }
    const added = performance.now() - t0;
    let done = 0;
    let finished!: () => void;
    const all = new Promise<void>((resolve) => (finished = resolve));
    const t1 = performance.now();
    const worker = new Worker('noop', async () => undefined, { connection, prefix, concurrency });
    worker.on('completed', () => {
      done += 1;
      if (done === jobs) finished();
    });
    await all;
    const processed = performance.now() - t1;
    await worker.close();
    return { jobs, addPerSec: jobs / (added / 1000), processPerSec: jobs / (processed / 1000) };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}
