/**
 * One measured step of the archive benchmark, in a process of its own so its
 * peak RSS is its own: `zip <tree> <out.zip> <level>` (scan + write, what
 * `zip -r` does), `archive <worktrees> <runId> <archiveDir> <level>` (the whole
 * job: scan, write, verify, manifest, rename) or `verify <zip>`. The zip
 * threads are started before the clock starts, as in a worker, where one pool
 * serves every job. `baseline` only imports the packages and starts the
 * threads: what a worker holds before any job. `archiver <tree> <out.zip> <level>`
 * and `yazl <tree> <out.zip> <level>` write the same tree with those
 * libraries (dev dependencies, for the comparison only). Prints one JSON line:
 * { ms, bytes, maxRssMb, maxLoopDelayMs, peak } where `peak` is the highest
 * of each `process.memoryUsage()` figure (MB), sampled every 20 ms, so RSS
 * can be told apart from the JS heap and from Buffers. The pool has
 * BENCH_ZIP_THREADS threads (default 1, as `archive.threads`).
 */
import { createWriteStream, readdirSync, rmSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type * as Archiver from 'archiver';
import type * as Yazl from 'yazl';
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

/** Files under `root`, relative, in name order. */
function filesUnder(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const d of readdirSync(rel ? `${root}/${rel}` : root, { withFileTypes: true })) {
    const relPath = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...filesUnder(root, relPath));
    else if (d.isFile()) out.push(relPath);
  }
  return out.sort();
}

/** The comparison writers, loaded before the clock starts (and only when measured). */
type Writers = { archiver: typeof Archiver; yazl: typeof Yazl };

async function zipWithArchiver(
  { archiver }: Writers,
  tree: string,
  out: string,
  level: number,
): Promise<void> {
  const { ZipArchive } = archiver;
  const archive = new ZipArchive({ zlib: { level } });
  const output = createWriteStream(out);
  archive.pipe(output);
  archive.directory(tree, false);
  await archive.finalize();
  await finished(output);
}

async function zipWithYazl(
  { yazl }: Writers,
  tree: string,
  out: string,
  level: number,
): Promise<void> {
  const { ZipFile } = yazl;
  const zip = new ZipFile();
  const output = zip.outputStream.pipe(createWriteStream(out));
  for (const rel of filesUnder(tree))
    zip.addFile(`${tree}/${rel}`, rel, { compress: level > 0, compressionLevel: level });
  zip.end();
  await finished(output);
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  const writers =
    mode === 'archiver' || mode === 'yazl'
      ? { archiver: await import('archiver'), yazl: await import('yazl') }
      : undefined;
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
  } else if (mode === 'archiver' || mode === 'yazl') {
    const [tree, out, level] = args as [string, string, string];
    await (mode === 'archiver' ? zipWithArchiver : zipWithYazl)(writers!, tree, out, Number(level));
    bytes = 0;
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
