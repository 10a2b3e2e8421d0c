/**
 * `npm run bench -- archive --big`: the 4 GiB boundaries, for a machine with
 * time and ~20 GB of free disk (never CI). Sparse files of zeros at the sizes
 * where ZIP64 starts (4 GiB − 64 MiB for deflated entries, 0xFFFFFFFF for
 * stored ones) and past 4 GiB, archived by the whole job at level 6 and at
 * level 0 (where local headers also pass 4 GiB), then each archive read by
 * every reader the interoperability test uses:
 *
 *   sparse tree ─▶ archive job (child) at 6 │ 0 ─▶ unzip -t │ bsdtar -x -O │ 7z t
 *              │ Python zipfile testzip │ Java ZipFile + ZipInputStream (sizes, no error)
 *
 * One figure per reader and level: 1 when it read every entry whole.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchFigure } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Sizes either side of each ZIP64 boundary. */
const BIG_SIZES: Record<string, number> = {
  'below-deflate-zip64.bin': 4 * GiB - 64 * MiB - 1,
  'at-deflate-zip64.bin': 4 * GiB - 64 * MiB,
  'max32.bin': 4 * GiB - 1,
  'over-4gib.bin': 4 * GiB + 1,
};

function check(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * MiB });
  return r.status === 0
    ? undefined
    : `${cmd} exited ${r.status}: ${`${r.stdout}${r.stderr}`.trim().slice(-400)}`;
}

function javaCheck(zip: string): string | undefined {
  const r = spawnSync('java', [path.join(root, 'packages/archive/src/interop/ZipRead.java'), zip], {
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
  if (r.status !== 0) return `java exited ${r.status}: ${r.stderr.slice(-400)}`;
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const problems: string[] = [];
  for (const reader of ['ZipFile', 'ZipInputStream']) {
    const mine = lines.filter((l) => l.reader === reader);
    for (const l of mine) if (l.error) problems.push(`${reader}: ${String(l.error)}`);
    for (const [name, size] of Object.entries(BIG_SIZES)) {
      const entry = mine.find((l) => l.name === name);
      if (!entry) problems.push(`${reader}: ${name} missing`);
      else if (entry.size !== size)
        problems.push(`${reader}: ${name} read ${String(entry.size)} of ${size} bytes`);
    }
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

const READERS: Record<string, (zip: string) => string | undefined> = {
  'unzip -t': (zip) => check('unzip', ['-tq', zip]),
  'bsdtar -x -O': (zip) => check('bash', ['-c', 'bsdtar -x -O -f "$1" > /dev/null', '-', zip]),
  '7z t': (zip) => check('7z', ['t', zip]),
  'python zipfile': (zip) =>
    check('python3', [
      '-c',
      'import sys,zipfile; bad=zipfile.ZipFile(sys.argv[1]).testzip(); sys.exit(bad is not None)',
      zip,
    ]),
  'java ZipFile + ZipInputStream': javaCheck,
};

export function runBig(childCommand: string[], threads: number): BenchFigure[] {
  const base = path.join(os.tmpdir(), 'runwarden-bench-archive-big');
  const worktrees = path.join(base, 'worktrees');
  const tree = path.join(worktrees, 'big-run');
  rmSync(base, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  for (const [name, size] of Object.entries(BIG_SIZES)) {
    writeFileSync(path.join(tree, name), '');
    truncateSync(path.join(tree, name), size);
  }
  const figures: BenchFigure[] = [];
  try {
    for (const level of [6, 0]) {
      const archiveDir = path.join(base, `archive-${level}`);
      console.error(
        `--big: archiving ${Object.keys(BIG_SIZES).length} sparse files at level ${level} …`,
      );
      const started = performance.now();
      const r = spawnSync(
        process.execPath,
        [...childCommand, 'archive', worktrees, 'big-run', archiveDir, String(level)],
        {
          cwd: root,
          encoding: 'utf8',
          env: { ...process.env, BENCH_ZIP_THREADS: String(threads) },
        },
      );
      if (r.status !== 0) throw new Error(`archive at level ${level} failed: ${r.stderr}`);
      const seconds = (performance.now() - started) / 1000;
      const zip = path.join(archiveDir, 'big-run.zip');
      for (const [reader, read] of Object.entries(READERS)) {
        console.error(`--big: ${reader} on the level ${level} archive …`);
        const failure = read(zip);
        figures.push({
          group: 'archive',
          name: `4 GiB boundaries, level ${level}: ${reader}`,
          value: failure ? 0 : 1,
          unit: 'read whole',
          target: '1',
          met: !failure,
          note: failure ?? `archived and verified in ${seconds.toFixed(0)} s`,
        });
      }
      rmSync(archiveDir, { recursive: true, force: true });
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return figures;
}
