/**
 * Reads an archive with other people's readers and compares what each one
 * gives back with the tree it was made from: names as bytes, content,
 * modes, times and link targets. Extracting readers (Info-ZIP `unzip`,
 * libarchive's `bsdtar`, 7-Zip) are compared through the tree they write;
 * library readers (Python's zipfile, Java's ZipFile and ZipInputStream)
 * through what they report. Every difference is a line of text, so a test
 * can list the ones that are a reader's own (a quirk) and fail on any other.
 * Not part of the package's API.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import { displayName } from '../entry-table.js';
import type { TreeEntry } from './interop-tree.js';

const here = fileURLToPath(new URL('.', import.meta.url));

interface Seen {
  kind: 'file' | 'dir' | 'symlink' | 'other';
  sha256?: string;
  target?: Buffer;
  mode?: number;
  /** mtime in nanoseconds since 1970. */
  mtimeNs?: bigint;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const key = (name: Buffer) => name.toString('hex');

function run(cmd: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Every entry under `dir`, by name bytes (relative, `/`-separated). */
function walk(dir: Buffer, rel: Buffer | undefined, out: Map<string, Seen>): void {
  const here = rel ? Buffer.concat([dir, Buffer.from('/'), rel]) : dir;
  for (const name of readdirSync(here, { encoding: 'buffer' })) {
    const relName = rel ? Buffer.concat([rel, Buffer.from('/'), name]) : name;
    const abs = Buffer.concat([dir, Buffer.from('/'), relName]);
    const st = lstatSync(abs, { bigint: true });
    const base = { mode: Number(st.mode) & 0o7777, mtimeNs: st.mtimeNs };
    if (st.isDirectory()) {
      out.set(key(relName), { kind: 'dir', ...base });
      walk(dir, relName, out);
    } else if (st.isFile()) {
      out.set(key(relName), { kind: 'file', sha256: sha256(readFileSync(abs)), ...base });
    } else if (st.isSymbolicLink()) {
      out.set(key(relName), {
        kind: 'symlink',
        target: readlinkSync(abs, { encoding: 'buffer' }),
        ...base,
      });
    } else out.set(key(relName), { kind: 'other' });
  }
}

export interface ReaderResult {
  /** The reader's complaint when it did not read the archive whole. */
  failure?: string;
  differences: string[];
}

/** How closely a reader's times are compared: the archive holds 100 ns, some readers restore less. */
export type Precision = '100ns' | 'us' | 's';

function nsOf(e: TreeEntry): bigint {
  return BigInt(e.sec) * 1_000_000_000n + BigInt(e.nsec);
}

/** The DOS date and time a writer must store for `sec`: local time, 2 s, 1980–2107. */
export function expectedDos(sec: number): number[] {
  const d = new Date(sec * 1000);
  if (d.getFullYear() < 1980) return [1980, 1, 1, 0, 0, 0];
  if (d.getFullYear() > 2107) return [2107, 12, 31, 23, 59, 58];
  return [
    d.getFullYear(),
    d.getMonth() + 1,
    d.getDate(),
    d.getHours(),
    d.getMinutes(),
    d.getSeconds() & ~1,
  ];
}

function compareTime(e: TreeEntry, seenNs: bigint, precision: Precision): string | undefined {
  const want = nsOf(e);
  const unit = precision === '100ns' ? 100n : precision === 'us' ? 1_000n : 1_000_000_000n;
  const floor = (v: bigint) => (v >= 0n ? v / unit : -((-v + unit - 1n) / unit));
  if (floor(want) === floor(seenNs)) return undefined;
  const show = (ns: bigint) => {
    const ms = Number(ns / 1_000_000n);
    return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : `${ns} ns`;
  };
  return `mtime ${show(want)} came back as ${show(seenNs)}`;
}

function compareTree(
  expected: readonly TreeEntry[],
  seen: Map<string, Seen>,
  precision: Precision,
): string[] {
  const diffs: string[] = [];
  const wanted = new Set(expected.map((e) => key(e.name)));
  for (const e of expected) {
    const name = displayName(e.name);
    const s = seen.get(key(e.name));
    if (!s) {
      diffs.push(`${name}: missing`);
      continue;
    }
    if (s.kind !== e.kind) {
      diffs.push(`${name}: a ${e.kind} came back as a ${s.kind}`);
      continue;
    }
    if (e.kind === 'file' && s.sha256 !== sha256(e.data!)) diffs.push(`${name}: content differs`);
    if (e.kind === 'symlink' && !s.target!.equals(e.target!))
      diffs.push(
        `${name}: link to ${displayName(e.target!)} came back as ${displayName(s.target!)}`,
      );
    if (e.kind !== 'symlink' && s.mode !== undefined && s.mode !== e.mode)
      diffs.push(`${name}: mode ${e.mode.toString(8)} came back as ${s.mode.toString(8)}`);
    if (e.kind !== 'symlink' && s.mtimeNs !== undefined) {
      const d = compareTime(e, s.mtimeNs, precision);
      if (d) diffs.push(`${name}: ${d}`);
    }
  }
  for (const [k] of seen)
    if (!wanted.has(k)) diffs.push(`${displayName(Buffer.from(k, 'hex'))}: not in the source`);
  return diffs;
}

export type Extractor = 'unzip' | 'bsdtar' | '7z';

const EXTRACT: Record<Extractor, (zip: string, into: string) => string[]> = {
  unzip: (zip, into) => ['unzip', '-q', '-o', zip, '-d', into],
  bsdtar: (zip, into) => ['bsdtar', '-x', '-p', '-f', zip, '-C', into],
  '7z': (zip, into) => ['7z', 'x', '-y', '-snl', `-o${into}`, zip],
};

/** Extracts with `reader` into `into` and compares the tree it wrote with the source. */
export function extractAndCompare(
  reader: Extractor,
  zip: string,
  into: string,
  expected: readonly TreeEntry[],
  precision: Precision,
): ReaderResult {
  mkdirSync(into, { recursive: true });
  const [cmd, ...args] = EXTRACT[reader](zip, into);
  const r = run(cmd!, args);
  const seen = new Map<string, Seen>();
  walk(Buffer.from(into), undefined, seen);
  const result: ReaderResult = { differences: compareTree(expected, seen, precision) };
  if (r.status !== 0)
    result.failure = `${reader} exited ${r.status}: ${r.output.trim().slice(-600)}`;
  return result;
}

/** The name a reader that decodes names by the UTF-8 flag (else latin1) gives back. */
function decodedName(name: Buffer): string {
  return isUtf8(name) ? name.toString('utf8') : name.toString('latin1');
}

/** Python's zipfile: names, content, modes, and the DOS time (all it reads). */
export function readWithPython(zip: string, expected: readonly TreeEntry[]): ReaderResult {
  const r = run('python3', [`${here}/zip_read.py`, zip]);
  if (r.status !== 0)
    return { failure: `python3 zipfile: ${r.output.trim().slice(-600)}`, differences: [] };
  const seen = new Map<string, { sha256: string; mode: number; dateTime: number[] }>();
  for (const line of r.output.trim().split('\n').filter(Boolean)) {
    const o = JSON.parse(line) as {
      name: string;
      sha256: string;
      mode: number;
      dateTime: number[];
    };
    seen.set(Buffer.from(o.name, 'hex').toString('hex').replace(/2f$/, ''), o);
  }
  const diffs: string[] = [];
  for (const e of expected) {
    const name = displayName(e.name);
    const s = seen.get(key(e.name));
    seen.delete(key(e.name));
    if (!s) {
      diffs.push(`${name}: missing`);
      continue;
    }
    const data = e.kind === 'file' ? e.data! : e.kind === 'symlink' ? e.target! : Buffer.alloc(0);
    if (s.sha256 !== sha256(data)) diffs.push(`${name}: content differs`);
    if ((s.mode & 0o7777) !== e.mode)
      diffs.push(
        `${name}: mode ${e.mode.toString(8)} came back as ${(s.mode & 0o7777).toString(8)}`,
      );
    const dos = expectedDos(e.sec);
    if (dos.join() !== s.dateTime.join())
      diffs.push(`${name}: DOS time ${dos.join()} came back as ${s.dateTime.join()}`);
  }
  for (const k of seen.keys())
    diffs.push(`${displayName(Buffer.from(k, 'hex'))}: not in the source`);
  return { differences: diffs };
}

/** Java's ZipFile and ZipInputStream: names, content and the mtime (to the microsecond). */
export function readWithJava(
  zip: string,
  expected: readonly TreeEntry[],
): Record<'ZipFile' | 'ZipInputStream', ReaderResult> {
  const r = run('java', [`${here}/ZipRead.java`, zip]);
  const results = {
    ZipFile: { differences: [] as string[] } as ReaderResult,
    ZipInputStream: { differences: [] as string[] } as ReaderResult,
  };
  if (r.status !== 0) {
    results.ZipFile.failure = `java: ${r.output.trim().slice(-600)}`;
    return results;
  }
  const seen = {
    ZipFile: new Map<string, Record<string, unknown>>(),
    ZipInputStream: new Map<string, Record<string, unknown>>(),
  };
  for (const line of r.output
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))) {
    const o = JSON.parse(line) as {
      reader: 'ZipFile' | 'ZipInputStream';
      name?: string;
      error?: string;
    };
    if (o.error) results[o.reader].failure = o.error;
    else seen[o.reader].set(o.name!.replace(/\/$/, ''), o);
  }
  for (const reader of ['ZipFile', 'ZipInputStream'] as const) {
    const map = seen[reader];
    for (const e of expected) {
      const name = displayName(e.name);
      const s = map.get(decodedName(e.name)) as { sha256: string; mtimeUs: number } | undefined;
      map.delete(decodedName(e.name));
      if (!s) {
        if (!results[reader].failure) results[reader].differences.push(`${name}: missing`);
        continue;
      }
      const data = e.kind === 'file' ? e.data! : e.kind === 'symlink' ? e.target! : Buffer.alloc(0);
      if (s.sha256 !== sha256(data)) results[reader].differences.push(`${name}: content differs`);
      const d = compareTime(e, BigInt(s.mtimeUs) * 1000n, 'us');
      if (d) results[reader].differences.push(`${name}: ${d}`);
    }
    for (const k of map.keys()) results[reader].differences.push(`${k}: not in the source`);
  }
  return results;
}
