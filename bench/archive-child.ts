/**
 * One measured step of the archive benchmark, in a process of its own so its
 * peak RSS is its own: `zip <tree> <out.zip> <level>` (scan + write, what
 * `zip -r` does), `archive <worktrees> <runId> <archiveDir> <level>` (the whole
 * job: scan, write, verify, manifest, rename) or `verify <zip>`. The zip
 * threads are started before the clock starts, as in a worker, where one pool
 * serves every job. `baseline` only imports the packages and starts the
 * threads: what a worker holds before any job. Prints one JSON line:
 * { ms, bytes, maxRssMb, maxLoopDelayMs, peak } where `peak` is the highest
 * of each `process.memoryUsage()` figure (MB), sampled every 20 ms, so RSS
 * can be told apart from the JS heap and from Buffers. The pool has
 * BENCH_ZIP_THREADS threads (default 1, as `archive.threads`).
 */
import { rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { archiveRun, scanWorktree, ThreadPool, verifyZip, writeZip } from '@runwarden/archive';

type MemoryPeak = Record<keyof NodeJS.MemoryUsage, number>;

function sampleMemory(): { stop: () => MemoryPeak } {
  const peak: MemoryPeak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak) as (keyof MemoryPeak)[])
      peak[k] = Math.max(peak[k], Math.round(m[k] / 1024 / 1024));
  };
  const timer = setInterval(sample, 20);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  const memory = sampleMemory();
  const pool = new ThreadPool({ threads: Number(process.env.BENCH_ZIP_THREADS ?? 1) });
  await pool.ready();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const started = performance.now();
  let bytes: number;
  if (mode === 'zip') {
    const [tree, out, level] = args as [string, string, string];
    const listing = await scanWorktree(tree);
    await writeZip(out, listing, { level: Number(level), pool });
    bytes = listing.bytes;
  } else if (mode === 'archive') {
    const [worktrees, runId, archiveDir, level] = args as [string, string, string, string];
    rmSync(archiveDir, { recursive: true, force: true });
    const outcome = await archiveRun({
      runId,
      worktreesDir: worktrees,
      archiveDir,
      compressionLevel: Number(level),
      diskSpaceFactor: 1.5,
      pool,
    });
    bytes = outcome.sourceBytes ?? 0;
  } else if (mode === 'baseline') {
    bytes = 0;
  } else if (mode === 'verify') {
    bytes = (await verifyZip(args[0]!, undefined, { pool })).bytes;
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  const ms = performance.now() - started;
  await pool.close();
  loop.disable();
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `${JSON.stringify({ ms, bytes, maxRssMb, maxLoopDelayMs: loop.max / 1e6, peak: memory.stop() })}\n`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
