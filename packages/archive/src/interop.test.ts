/**
 * Archives of an adversarial tree (see interop/interop-tree.ts), read back
 * with Info-ZIP unzip, Python's zipfile, Java's ZipFile and ZipInputStream,
 * libarchive's bsdtar and 7-Zip (installed by .ci/run from Debian's
 * packages). Each reader's differences from the source must be exactly the
 * quirks listed for it below: things the reader does, not the archive.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '@runwarden/testing';
import { archiveRun } from './archive-run.js';
import { extractAndCompare, readWithJava, readWithPython } from './interop/interop-readers.js';
import { buildInteropTree, type InteropTree } from './interop/interop-tree.js';
import { ThreadPool } from './thread-pool.js';

let ctx: TestContext;
let pool: ThreadPool;
let tree: InteropTree;
const zips: Record<string, string> = {};

beforeAll(async () => {
  ctx = createTestContext('interop');
  // GNU rm walks a tree deeper than PATH_MAX; Node's rm does not.
  ctx.defer(() => spawnSync('rm', ['-rf', ctx.dir]));
  pool = new ThreadPool({ threads: 2 });
  ctx.defer(() => pool.close());
  const worktrees = path.join(ctx.dir, 'wt');
  mkdirSync(worktrees);
  tree = buildInteropTree(worktrees, 'run-interop');
  for (const level of [6, 0]) {
    const outcome = await archiveRun({
      runId: 'run-interop',
      worktreesDir: worktrees,
      archiveDir: path.join(ctx.dir, `archive-${level}`),
      compressionLevel: level,
      pool,
    });
    zips[`level ${level}`] = outcome.path!;
    expect(outcome.skippedFiles!.map((s) => s.path).sort()).toEqual([...tree.skipped].sort());
  }
}, 120_000);
afterAll(() => ctx.cleanup());

/**
 * What each reader gives back differently from the source, and why it is
 * the reader's doing: the archive holds these exactly (Java, which reads
 * every field, gets them all back).
 */
const QUIRKS: Record<'unzip' | 'bsdtar' | '7z', Record<string, string>> = {
  unzip: {
    'names/ctl-\x01.txt: missing': 'unzip drops control characters from the names it writes…',
    'names/ctl-.txt: not in the source': '…so the file comes back under the name without one',
    'old-1960.txt: mtime 1960-01-01T00:00:00.000Z came back as 1980-01-01T00:00:00.000Z':
      'Info-ZIP unzip 6.0 reads no NTFS time on Unix; before 1970 only the DOS time (from 1980) is left',
    'y2150.txt: mtime 2150-01-01T00:00:00.000Z came back as 2108-01-01T23:59:58.000Z':
      'the same; and unzip turns the highest DOS time, 2107-12-31 23:59:58, into 2108-01-01',
  },
  bsdtar: {
    'names/e\u0301-nfd.txt: missing': 'libarchive folds NFD names onto NFC…',
    'names/\u00e9-nfd.txt: not in the source': '…so the NFD file comes back under its NFC name',
    'a.txt: mtime 2024-03-01T10:00:00.123Z came back as 2024-03-01T10:00:00.000Z':
      'libarchive 3.6 reads no NTFS time: whole seconds from the extended timestamp',
    'big.bin: mtime 2024-03-01T10:00:01.500Z came back as 2024-03-01T10:00:01.000Z': 'the same',
    'old-1960.txt: mtime 1960-01-01T00:00:00.000Z came back as 1980-01-01T00:00:00.000Z':
      'no NTFS time read, and no extended timestamp before 1970 (libarchive would read it unsigned): the DOS time',
    'y2150.txt: mtime 2150-01-01T00:00:00.000Z came back as 2107-12-31T23:59:58.000Z':
      'no NTFS time read, no extended timestamp after 2038: the DOS time, which ends in 2107',
  },
  '7z': {
    'links/abs: a symlink came back as a file':
      "7-Zip's link policy: it refuses any link with `..`…",
    'links/climb: a symlink came back as a file': '…even one that stays inside the extracted tree…',
    'links/dir: a symlink came back as a file': '…and writes a small file instead…',
    'links/rel: a symlink came back as a file': '…with the target as its content',
  },
};

describe.each(['level 6', 'level 0'])('an archive written at %s', (level) => {
  it.each([
    ['unzip', 's'],
    ['bsdtar', '100ns'],
    ['7z', '100ns'],
  ] as const)('comes back from %s as it was, but for the listed quirks', (reader, precision) => {
    const into = path.join(ctx.dir, `${reader}-${level}`);
    const result = extractAndCompare(reader, zips[level]!, into, tree.entries, precision);
    expect(result.differences.sort()).toEqual(Object.keys(QUIRKS[reader]).sort());
    if (reader === '7z') {
      // 7-Zip exits 2 for the links it refused, and says so; for nothing else.
      const errors = result.failure!.split('\n').filter((l) => l.startsWith('ERROR:'));
      expect(errors).toHaveLength(4);
      for (const line of errors) expect(line).toMatch(/^ERROR: Dangerous link path was ignored/);
    } else expect(result.failure).toBeUndefined();
  });

  it("comes back from Python's zipfile with every name, content, mode and DOS time", () => {
    expect(readWithPython(zips[level]!, tree.entries)).toEqual({ differences: [] });
  });

  it("comes back from Java's ZipFile and ZipInputStream with every name, content and time (to the µs)", () => {
    const result = readWithJava(zips[level]!, tree.entries);
    expect(result.ZipFile).toEqual({ differences: [] });
    expect(result.ZipInputStream).toEqual({ differences: [] });
  });
});
