/**
 * Reads every entry of a zip back and proves it whole:
 *
 *   central directory ─▶ entries in file order ─▶ ranges of small entries / single large ones
 *                     ─▶ zip threads (read · inflate · CRC-32, in parallel)
 *                     ─▶ CRC and size against the central directory
 *                     ─▶ names, sizes (and CRCs) against what was expected from the source
 */
import { RunwardenError } from '@runwarden/core';
import { readCentralDirectory, type CentralEntries } from './central-directory.js';
import { ThreadPool } from './thread-pool.js';
import type { InflateItem } from './thread-tasks.js';

export interface ExpectedEntry {
  name: string;
  size: number;
  /** CRC-32 of the source data, when known. */
  crc?: number;
  /** The source changed while it was read. */
  changed?: boolean;
}

/** What the zip should hold, in the order it was written (WrittenEntries is one). */
export interface ExpectedEntries {
  readonly count: number;
  nameBuffer(k: number): Uint8Array;
  name(k: number): string;
  size(k: number): number;
  crc(k: number): number | undefined;
  /** Whether entry k's source changed while it was read (the messages say so). */
  changed?(k: number): boolean;
}

function expectedFromArray(entries: readonly ExpectedEntry[]): ExpectedEntries {
  return {
    count: entries.length,
    nameBuffer: (k) => Buffer.from(entries[k]!.name),
    name: (k) => entries[k]!.name,
    size: (k) => entries[k]!.size,
    crc: (k) => entries[k]!.crc,
    changed: (k) => entries[k]!.changed === true,
  };
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

function toItem(entries: CentralEntries, i: number): InflateItem {
  return {
    localOffset: entries.localOffset[i]!,
    // A copy with a buffer of its own: a view, or a slice of Node's shared pool, would carry more across.
    name: new Uint8Array(entries.nameBuffer(i)),
    method: entries.method[i]!,
    compressedSize: entries.compressedSize[i]!,
    size: entries.size[i]!,
  };
}

type CheckTask =
  | { kind: 'inflate-large'; zipPath: string; entry: InflateItem }
  | { kind: 'inflate-range'; zipPath: string; start: number; end: number; entries: InflateItem[] };

/** Entry indices in the order their data sits in the file (the directory's own order, nearly always). */
function fileOrder(entries: CentralEntries): Uint32Array {
  const order = new Uint32Array(entries.count);
  let sorted = true;
  for (let i = 0; i < entries.count; i += 1) {
    order[i] = i;
    if (i > 0 && entries.localOffset[i]! < entries.localOffset[i - 1]!) sorted = false;
  }
  return sorted ? order : order.sort((a, b) => entries.localOffset[a]! - entries.localOffset[b]!);
}

/** Entries in file order cut into tasks: a range of small entries read at once, or one large entry. */
function* checkTasks(
  path: string,
  entries: CentralEntries,
  order: Uint32Array,
  cdOffset: number,
): Generator<{ task: CheckTask; first: number; count: number }> {
  const offset = (k: number) => entries.localOffset[order[k]!]!;
  const endOf = (k: number) => (k + 1 < order.length ? offset(k + 1) : cdOffset);
  const large = (k: number) =>
    entries.compressedSize[order[k]!]! > LARGE_ENTRY || entries.size[order[k]!]! > 8 * LARGE_ENTRY;
  for (let k = 0; k < order.length;) {
    if (large(k)) {
      yield {
        task: { kind: 'inflate-large', zipPath: path, entry: toItem(entries, order[k]!) },
        first: k,
        count: 1,
      };
      k += 1;
      continue;
    }
    let j = k;
    while (j + 1 < order.length && endOf(j + 1) - offset(k) <= RANGE_BYTES && !large(j + 1)) j += 1;
    const items: InflateItem[] = [];
    for (let m = k; m <= j; m += 1) items.push(toItem(entries, order[m]!));
    yield {
      task: {
        kind: 'inflate-range',
        zipPath: path,
        start: offset(k),
        end: endOf(j),
        entries: items,
      },
      first: k,
      count: j - k + 1,
    };
    k = j + 1;
  }
}

/** The problems found: all counted, the first few kept for the message (a zip may be damaged throughout). */
class ProblemList {
  count = 0;
  readonly first: string[] = [];

  push(problem: string): void {
    this.count += 1;
    if (this.first.length < 5) this.first.push(problem);
  }
}

/** Per entry (in file order): inflated CRC-32 and size, or why it could not be read. */
interface Checks {
  crc: Uint32Array;
  size: Float64Array;
  failed: Map<number, string>;
}

/**
 * Runs the checks on the pool, a few tasks ahead of the threads rather than
 * all at once (every task of a 40,000-entry zip queued up front held its
 * items and promises on the main heap).
 */
async function checkAll(
  path: string,
  entries: CentralEntries,
  order: Uint32Array,
  cdOffset: number,
  pool: ThreadPool,
): Promise<Checks> {
  const checks: Checks = {
    crc: new Uint32Array(order.length),
    size: new Float64Array(order.length),
    failed: new Map(),
  };
  const running = new Set<Promise<void>>();
  let failure: Error | undefined;
  for (const { task, first, count } of checkTasks(path, entries, order, cdOffset)) {
    if (failure) break;
    const tracked: Promise<void> = (
      task.kind === 'inflate-large' ? pool.run(task) : pool.run(task)
    ).then(
      (r) => {
        for (let m = 0; m < count; m += 1) {
          const check = r.entries[m];
          if (check?.ok) {
            checks.crc[first + m] = check.crc;
            checks.size[first + m] = check.size;
          } else checks.failed.set(first + m, check?.message ?? 'not checked');
        }
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
  return checks;
}

/**
 * The zip holds exactly the expected entries, with their sizes and CRCs. The
 * zip's directory is in the order the entries were written, so they are
 * compared side by side; names are matched up only when that fails.
 */
function compareWithSource(
  entries: CentralEntries,
  expected: ExpectedEntries,
  problems: ProblemList,
): void {
  const compare = (i: number, k: number) => {
    const name = expected.name(k);
    const crc = expected.crc(k);
    if (entries.size[i] !== expected.size(k))
      problems.push(
        `${name} has ${entries.size[i]} bytes in the zip, ${expected.size(k)} in the source`,
      );
    else if (crc !== undefined && entries.crc[i] !== crc >>> 0)
      problems.push(
        expected.changed?.(k)
          ? `${name} has a different CRC-32 from the source, which changed while it was archived`
          : `${name} has a different CRC-32 from the source`,
      );
  };
  let sideBySide = entries.count === expected.count;
  for (let k = 0; sideBySide && k < expected.count; k += 1)
    sideBySide = entries.nameBuffer(k).equals(expected.nameBuffer(k));
  if (sideBySide) {
    for (let k = 0; k < expected.count; k += 1) compare(k, k);
    return;
  }
  const inZip = new Map<string, number>();
  for (let i = 0; i < entries.count; i += 1) {
    const name = entries.name(i);
    if (inZip.has(name)) problems.push(`${name} is in the zip twice`);
    inZip.set(name, i);
  }
  for (let k = 0; k < expected.count; k += 1) {
    const name = expected.name(k);
    const i = inZip.get(name);
    if (i === undefined) problems.push(`${name} is missing from the zip`);
    else compare(i, k);
    inZip.delete(name);
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
  expected?: readonly ExpectedEntry[] | ExpectedEntries,
  options: VerifyZipOptions = {},
): Promise<VerifyResult> {
  const cd = await readCentralDirectory(path);
  const { entries } = cd;
  const order = fileOrder(entries);
  const pool = options.pool ?? new ThreadPool();
  let checks: Checks;
  try {
    checks = await checkAll(path, entries, order, cd.offset, pool);
  } finally {
    if (!options.pool) await pool.close();
  }
  const problems = new ProblemList();
  const source =
    expected &&
    (Array.isArray(expected)
      ? expectedFromArray(expected as readonly ExpectedEntry[])
      : (expected as ExpectedEntries));
  // Names of entries whose source changed while read: a mismatch there is the change, not damage.
  const changed = new Set<string>();
  for (let k = 0; source?.changed && k < source.count; k += 1)
    if (source.changed(k)) changed.add(source.name(k));
  let bytes = 0;
  for (let k = 0; k < order.length; k += 1) {
    const i = order[k]!;
    const failed = checks.failed.get(k);
    if (failed !== undefined)
      problems.push(
        `${entries.name(i)}: ${failed}${changed.has(entries.name(i)) ? '; its source changed while it was archived' : ''}`,
      );
    else if (checks.size[k] !== entries.size[i])
      problems.push(
        `${entries.name(i)}: ${checks.size[k]} bytes inflated, ${entries.size[i]} recorded`,
      );
    else if (checks.crc[k] !== entries.crc[i])
      problems.push(
        changed.has(entries.name(i))
          ? `${entries.name(i)}: CRC-32 mismatch; its source changed while it was archived`
          : `${entries.name(i)}: CRC-32 mismatch (data is damaged)`,
      );
    bytes += entries.size[i]!;
  }
  if (source) compareWithSource(entries, source, problems);
  if (problems.count > 0) {
    const shown = problems.first.join('; ');
    throw new RunwardenError(
      'ARCHIVE_VERIFY',
      `${path} failed verification (${problems.count} problem(s)): ${shown}${problems.count > problems.first.length ? '; …' : ''}`,
    );
  }
  return { entries: entries.count, bytes, zipBytes: cd.zipBytes };
}
