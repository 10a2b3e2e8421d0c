/**
 * Lists what goes into a run's archive, without following anything out of
 * the worktree: directories and regular files as they are, symlinks stored as
 * links when their target stays inside the worktree (skipped and listed when
 * it escapes), sockets, FIFOs and devices skipped and listed.
 *
 * Names are kept as the bytes the filesystem gave: paths are handled here as
 * latin1 strings (one character per byte, so `/` and `.` are what they seem)
 * and handed to `fs` as Buffers, so a name that is not valid UTF-8 is read
 * and stored as it is. An entry that cannot be listed or opened (a name the
 * filesystem finds too long, a folder without read permission, a file gone
 * since its folder was read) is skipped and listed, never the run's failure.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { displayName, EntryTable, splitNs } from './entry-table.js';

export { EntryTable, type EntryKind, type SourceEntry } from './entry-table.js';

export interface SkippedFile {
  path: string;
  reason: string;
}

/** An entry archived with a caveat: a time the zip cannot hold, a file that changed while read. */
export interface ArchiveWarning {
  path: string;
  warning: string;
}

export interface WorktreeListing {
  /** The folder listed, absolute. */
  root: string;
  entries: EntryTable;
  skipped: SkippedFile[];
  /** Bytes of the files' contents. */
  bytes: number;
  files: number;
}

/** A latin1 path string (see the file comment) as the bytes `fs` takes. */
export function fsPath(latin1: string): Buffer {
  return Buffer.from(latin1, 'latin1');
}

/** A latin1 path string as the text a person reads (see displayName). */
function shown(latin1: string): string {
  return displayName(fsPath(latin1));
}

function specialKind(st: BigIntStats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isCharacterDevice()) return 'a character device';
  return 'not a regular file';
}

function insideRoot(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function realpath(p: string): string {
  return realpathSync(fsPath(p), { encoding: 'latin1' });
}

/** Whether a link stays inside: every hop of a chain is followed; a dangling link is judged by its text. */
function linkStaysInside(root: string, abs: string, target: string): boolean {
  if (!insideRoot(root, path.resolve(path.dirname(abs), target))) return false;
  try {
    return insideRoot(realpath(root), realpath(abs));
  } catch {
    return true;
  }
}

/**
 * A link's target as the shortest relative path from the link's folder, on
 * the tree as it is on disk (folders in between resolved, the last name
 * kept, so a link to a link stays one): an absolute target, or one that
 * climbs out of the worktree and back in, still points at the same entry
 * when the archive is extracted anywhere else.
 */
function normalisedTarget(root: string, abs: string, target: string): string {
  const lexical = path.resolve(path.dirname(abs), target);
  const physicalRoot = realpath(root);
  let physical: string;
  try {
    physical = path.join(realpath(path.dirname(lexical)), path.basename(lexical));
  } catch {
    // A dangling target folder: its text is all there is.
    return path.relative(path.dirname(abs), lexical) || '.';
  }
  if (!insideRoot(physicalRoot, physical)) return target;
  return path.relative(realpath(path.dirname(abs)), physical) || '.';
}

/** Yields to the event loop every so often so a huge tree cannot stall BullMQ's lock renewal. */
const YIELD_EVERY = 2_000;
/** A zip name is at most 65,535 bytes. */
const MAX_NAME = 0xffff;

interface PendingDir {
  rel: string;
  st: BigIntStats | undefined;
}

function errorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? 'ERROR';
  if (code === 'ENAMETOOLONG') return `path too long to open (${code})`;
  return `unreadable (${code})`;
}

export async function scanWorktree(root: string): Promise<WorktreeListing> {
  const realRoot = Buffer.from(path.resolve(root)).toString('latin1');
  const listing: WorktreeListing = {
    root: path.resolve(root),
    entries: new EntryTable(),
    skipped: [],
    bytes: 0,
    files: 0,
  };
  const skip = (rel: string, reason: string) => listing.skipped.push({ path: shown(rel), reason });
  const pending: PendingDir[] = [{ rel: '', st: undefined }];
  let seen = 0;
  while (pending.length > 0) {
    const { rel, st: dirStat } = pending.pop()!;
    let names: string[];
    try {
      names = readdirSync(fsPath(rel ? `${realRoot}/${rel}` : realRoot), {
        encoding: 'latin1',
      }).sort();
    } catch (err) {
      if (!rel) throw err;
      skip(`${rel}/`, `${errorReason(err)}: the folder and its contents are not archived`);
      continue;
    }
    if (dirStat) {
      const t = splitNs(dirStat.mtimeNs);
      listing.entries.add({
        name: fsPath(`${rel}/`),
        kind: 'dir',
        size: 0,
        mode: Number(dirStat.mode),
        mtimeSec: t.sec,
        mtimeNsec: t.nsec,
      });
    }
    const subdirs: PendingDir[] = [];
    for (const name of names) {
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = `${realRoot}/${relPath}`;
      if (++seen % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
      if (relPath.length + 1 > MAX_NAME) {
        skip(relPath, `path of ${relPath.length} bytes is longer than a zip entry name can be`);
        continue;
      }
      let st: BigIntStats;
      try {
        st = lstatSync(fsPath(abs), { bigint: true });
      } catch (err) {
        skip(relPath, errorReason(err));
        continue;
      }
      const t = splitNs(st.mtimeNs);
      const times = { mode: Number(st.mode), mtimeSec: t.sec, mtimeNsec: t.nsec };
      if (st.isDirectory()) {
        subdirs.push({ rel: relPath, st });
      } else if (st.isFile()) {
        const size = Number(st.size);
        listing.entries.add({ name: fsPath(relPath), kind: 'file', size, ...times });
        listing.bytes += size;
        listing.files += 1;
      } else if (st.isSymbolicLink()) {
        let target: string;
        try {
          target = readlinkSync(fsPath(abs), { encoding: 'latin1' });
        } catch (err) {
          skip(relPath, errorReason(err));
          continue;
        }
        if (!linkStaysInside(realRoot, abs, target)) {
          skip(relPath, `symlink to ${shown(target)} points outside the worktree`);
          continue;
        }
        const stored = fsPath(normalisedTarget(realRoot, abs, target));
        listing.entries.add({
          name: fsPath(relPath),
          kind: 'symlink',
          size: stored.length,
          ...times,
          linkTarget: stored,
        });
      } else {
        skip(relPath, `${specialKind(st)} is not archived`);
      }
    }
    // Depth-first in name order, so the zip lists a folder's contents together.
    for (let i = subdirs.length - 1; i >= 0; i -= 1) pending.push(subdirs[i]!);
  }
  return listing;
}
