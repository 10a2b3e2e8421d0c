/**
 * Lists what goes into a run's archive, without following anything out of
 * the worktree: directories and regular files as they are, symlinks stored as
 * links when their target stays inside the worktree (skipped and listed when
 * it escapes), sockets, FIFOs and devices skipped and listed.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { EntryTable } from './entry-table.js';

export { EntryTable, type EntryKind, type SourceEntry } from './entry-table.js';

export interface SkippedFile {
  path: string;
  reason: string;
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

function specialKind(st: Stats): string {
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

/** Whether a link stays inside: every hop of a chain is followed; a dangling link is judged by its text. */
function linkStaysInside(root: string, abs: string, target: string): boolean {
  if (!insideRoot(root, path.resolve(path.dirname(abs), target))) return false;
  try {
    return insideRoot(realpathSync(root), realpathSync(abs));
  } catch {
    return true;
  }
}

/** Yields to the event loop every so often so a huge tree cannot stall BullMQ's lock renewal. */
const YIELD_EVERY = 2_000;

export async function scanWorktree(root: string): Promise<WorktreeListing> {
  const realRoot = path.resolve(root);
  const listing: WorktreeListing = {
    root: realRoot,
    entries: new EntryTable(),
    skipped: [],
    bytes: 0,
    files: 0,
  };
  const pending: string[] = [''];
  let seen = 0;
  while (pending.length > 0) {
    const rel = pending.pop()!;
    const names = readdirSync(rel ? `${realRoot}/${rel}` : realRoot).sort();
    const subdirs: string[] = [];
    for (const name of names) {
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = `${realRoot}/${relPath}`;
      const st = lstatSync(abs);
      if (++seen % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
      if (st.isDirectory()) {
        listing.entries.add({
          name: `${relPath}/`,
          kind: 'dir',
          size: 0,
          mode: st.mode,
          mtimeMs: st.mtimeMs,
        });
        subdirs.push(relPath);
      } else if (st.isFile()) {
        listing.entries.add({
          name: relPath,
          kind: 'file',
          size: st.size,
          mode: st.mode,
          mtimeMs: st.mtimeMs,
        });
        listing.bytes += st.size;
        listing.files += 1;
      } else if (st.isSymbolicLink()) {
        const target = readlinkSync(abs);
        if (!linkStaysInside(realRoot, abs, target)) {
          listing.skipped.push({
            path: relPath,
            reason: `symlink to ${target} points outside the worktree`,
          });
          continue;
        }
        const size = Buffer.byteLength(target);
        listing.entries.add({
          name: relPath,
          kind: 'symlink',
          size,
          mode: st.mode,
          mtimeMs: st.mtimeMs,
          linkTarget: target,
        });
      } else {
        listing.skipped.push({ path: relPath, reason: `${specialKind(st)} is not archived` });
      }
    }
    // Depth-first in name order, so the zip lists a folder's contents together.
    for (let i = subdirs.length - 1; i >= 0; i -= 1) pending.push(subdirs[i]!);
  }
  return listing;
}
