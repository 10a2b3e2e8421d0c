/**
 * Reads every entry of a zip back and proves it whole:
 *
 *   central directory ─▶ entries in file order ─▶ ranges of small entries / single large ones
 *                     ─▶ zip threads (read · inflate · CRC-32, in parallel)
 *                     ─▶ CRC and size against the central directory
 *                     ─▶ names, sizes (and CRCs) against what was expected from the source
 */
import { RunwardenError } from '@runwarden/core';
import { readCentralDirectory, type CentralEntry } from './central-directory.js';
import { ThreadPool } from './thread-pool.js';
import type { EntryCheck, InflateItem } from './thread-tasks.js';

export interface ExpectedEntry {
  name: string;
  size: number;
  /** CRC-32 of the source data, when known. */
  crc?: number;
}

export interface VerifyZipOptions {
  /** Threads to use; a pool of its own is made (and closed) when not given. */
  pool?: ThreadPool;
}

export interface VerifyResult {
  entries: number;
  /** Uncompressed bytes of all entries. */
  bytes: number;
  zipBytes: number;
}

const RANGE_BYTES = 2 * 1024 * 1024;
const LARGE_ENTRY = 1024 * 1024;

function toItem(e: CentralEntry): InflateItem {
  return {
    localOffset: e.localOffset,
    name: e.name,
    method: e.method,
    compressedSize: e.compressedSize,
    size: e.size,
  };
}

type CheckTask =
  | { kind: 'inflate-large'; zipPath: string; entry: InflateItem }
  | { kind: 'inflate-range'; zipPath: string; start: number; end: number; entries: InflateItem[] };

/** Entries in file order cut into tasks: a range of small entries read at once, or one large entry. */
function* checkTasks(
  path: string,
  ordered: readonly CentralEntry[],
  cdOffset: number,
): Generator<CheckTask> {
  const endOf = (i: number) => ordered[i + 1]?.localOffset ?? cdOffset;
  for (let i = 0; i < ordered.length;) {
    const first = ordered[i]!;
    if (first.compressedSize > LARGE_ENTRY || first.size > 8 * LARGE_ENTRY) {
      yield { kind: 'inflate-large', zipPath: path, entry: toItem(first) };
      i += 1;
      continue;
    }
    let j = i;
    while (j + 1 < ordered.length && endOf(j + 1) - first.localOffset <= RANGE_BYTES) {
      const next = ordered[j + 1]!;
      if (next.compressedSize > LARGE_ENTRY || next.size > 8 * LARGE_ENTRY) break;
      j += 1;
    }
    yield {
      kind: 'inflate-range',
      zipPath: path,
      start: first.localOffset,
      end: endOf(j),
      entries: ordered.slice(i, j + 1).map(toItem),
    };
    i = j + 1;
  }
}

/**
 * Runs the checks on the pool, a few tasks ahead of the threads rather than
 * all at once (every task of a 40,000-entry zip queued up front held its
 * items and promises on the main heap); one check per entry, in `ordered` order.
 */
async function checkAll(
  path: string,
  ordered: readonly CentralEntry[],
  cdOffset: number,
  pool: ThreadPool,
): Promise<EntryCheck[]> {
  const results: EntryCheck[][] = [];
  const running = new Set<Promise<void>>();
  let failure: Error | undefined;
  let index = 0;
  for (const task of checkTasks(path, ordered, cdOffset)) {
    if (failure) break;
    const at = index++;
    const tracked: Promise<void> = (
      task.kind === 'inflate-large' ? pool.run(task) : pool.run(task)
    ).then(
      (r) => {
        results[at] = r.entries;
        running.delete(tracked);
      },
      (err: Error) => {
        failure ??= err;
        running.delete(tracked);
      },
    );
    running.add(tracked);
    if (running.size >= pool.size * 2) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw failure;
  return results.flat();
}

function compareWithSource(
  entries: readonly CentralEntry[],
  expected: readonly ExpectedEntry[],
  problems: string[],
): void {
  const inZip = new Map<string, CentralEntry>();
  for (const e of entries) {
    const name = e.name.toString('utf8');
    if (inZip.has(name)) problems.push(`${name} is in the zip twice`);
    inZip.set(name, e);
  }
  for (const want of expected) {
    const got = inZip.get(want.name);
    if (!got) problems.push(`${want.name} is missing from the zip`);
    else if (got.size !== want.size)
      problems.push(`${want.name} has ${got.size} bytes in the zip, ${want.size} in the source`);
    else if (want.crc !== undefined && got.crc !== want.crc >>> 0)
      problems.push(`${want.name} has a different CRC-32 from the source`);
    inZip.delete(want.name);
  }
  for (const name of inZip.keys()) problems.push(`${name} is in the zip but not in the source`);
}

/**
 * Checks every entry's data (CRC-32 and size) and, when `expected` is given,
 * that the zip holds exactly those entries. Throws a RunwardenError with code
 * ARCHIVE_VERIFY listing the first problems.
 */
export async function verifyZip(
  path: string,
  expected?: readonly ExpectedEntry[],
  options: VerifyZipOptions = {},
): Promise<VerifyResult> {
  const cd = await readCentralDirectory(path);
  const ordered = [...cd.entries].sort((a, b) => a.localOffset - b.localOffset);
  const pool = options.pool ?? new ThreadPool();
  let checks: EntryCheck[];
  try {
    checks = await checkAll(path, ordered, cd.offset, pool);
  } finally {
    if (!options.pool) await pool.close();
  }
  const problems: string[] = [];
  let bytes = 0;
  ordered.forEach((entry, i) => {
    const check = checks[i];
    const name = entry.name.toString('utf8');
    if (!check || !check.ok)
      problems.push(`${name}: ${check?.ok === false ? check.message : 'not checked'}`);
    else if (check.size !== entry.size)
      problems.push(`${name}: ${check.size} bytes inflated, ${entry.size} recorded`);
    else if (check.crc !== entry.crc) problems.push(`${name}: CRC-32 mismatch (data is damaged)`);
    bytes += entry.size;
  });
  if (expected) compareWithSource(cd.entries, expected, problems);
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    throw new RunwardenError(
      'ARCHIVE_VERIFY',
      `${path} failed verification (${problems.length} problem(s)): ${shown}${problems.length > 5 ? '; …' : ''}`,
    );
  }
  return { entries: cd.entries.length, bytes, zipBytes: cd.zipBytes };
}
