/**
 * The tree the interoperability test archives: names that are NFC, NFD,
 * emoji, CJK, not UTF-8 at all, with a control character, 255 bytes long,
 * 50 folders deep; modes; times before 1970, before 1980, after 2038 and
 * 2106, with nanoseconds; symlinks inside (relative, absolute, climbing out
 * and back in, dangling); and what must be skipped and listed (a FIFO, a
 * link out, a path too long to open). Each entry says what an archive of it
 * must hold. Not part of the package's API.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TreeEntry {
  /** Path in the archive, as bytes; folders without the trailing `/`. */
  name: Buffer;
  kind: 'file' | 'dir' | 'symlink';
  /** A file's content. */
  data?: Buffer;
  /** The link target the archive must hold (normalised). */
  target?: Buffer;
  /** Permission bits. */
  mode: number;
  /** mtime: whole seconds since 1970 and nanoseconds. */
  sec: number;
  nsec: number;
}

export interface InteropTree {
  root: string;
  entries: TreeEntry[];
  /** Paths the archive must leave out and list. */
  skipped: string[];
}

const b = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s) : s);
const DEFAULT_TIME = { sec: 1_709_287_200, nsec: 0 }; // 2024-03-01T10:00:00Z

/** Text and random data: a file that goes through the block path (over 1 MiB). */
function mixed(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let at = 0; at < bytes; at += 64 * 1024) {
    const piece = out.subarray(at, at + 64 * 1024);
    if ((at / (64 * 1024)) % 2 === 0) randomFillSync(piece);
    else piece.write(`epoch ${at} loss=0.123 accuracy=0.987\n`.repeat(2000));
  }
  return out;
}

function setTime(abs: Buffer, sec: number, nsec: number): void {
  const stamp = `@${sec}.${String(nsec).padStart(9, '0')}`;
  // Arguments go out as UTF-8: a name that is not is handed over as \xHH
  // escapes for printf to turn back into its bytes.
  let escaped = '';
  for (const byte of abs)
    escaped +=
      byte < 0x20 || byte >= 0x7f || byte === 0x5c
        ? `\\x${byte.toString(16).padStart(2, '0')}`
        : String.fromCharCode(byte);
  execFileSync('bash', ['-c', 'touch -h -d "$1" -- "$(printf %b "$2")"', '-', stamp, escaped]);
}

export function buildInteropTree(worktrees: string, runId: string): InteropTree {
  const root = path.join(worktrees, runId);
  mkdirSync(root, { recursive: true });
  const entries: TreeEntry[] = [];
  const skipped: string[] = [];
  const abs = (name: Buffer) => Buffer.concat([b(root), b('/'), name]);
  const dir = (name: string | Buffer, mode = 0o755, time = DEFAULT_TIME) => {
    mkdirSync(abs(b(name)));
    entries.push({ name: b(name), kind: 'dir', mode, ...time });
  };
  const file = (
    name: string | Buffer,
    data: Buffer | string,
    mode = 0o644,
    time = DEFAULT_TIME,
  ) => {
    writeFileSync(abs(b(name)), data);
    entries.push({ name: b(name), kind: 'file', data: b(data), mode, ...time });
  };
  const link = (name: string, target: string, stored: string) => {
    symlinkSync(target, abs(b(name)));
    entries.push({
      name: b(name),
      kind: 'symlink',
      target: b(stored),
      mode: 0o777,
      ...DEFAULT_TIME,
    });
  };

  file('a.txt', 'alpha\n'.repeat(1000), 0o644, { sec: 1_709_287_200, nsec: 123_456_789 });
  file('empty.txt', '');
  file('run.sh', '#!/bin/sh\necho hi\n', 0o755);
  file('private.txt', 'secret-ish\n', 0o600);
  file('big.bin', mixed(3 * 1024 * 1024 + 12_345), 0o644, {
    sec: 1_709_287_201,
    nsec: 500_000_000,
  });
  file('old-1960.txt', '1960\n', 0o644, { sec: -315_619_200, nsec: 0 });
  file('dos-1979.txt', '1979\n', 0o644, { sec: 296_956_800, nsec: 0 });
  file('y2038.txt', '2038\n', 0o644, { sec: 2_147_483_648, nsec: 0 });
  file('y2150.txt', '2150\n', 0o644, { sec: 5_680_281_600, nsec: 0 });
  dir('names');
  file('names/\u00e9-nfc.txt', 'nfc\n');
  file('names/e\u0301-nfd.txt', 'nfd\n');
  file('names/\u{1f600} emoji.txt', 'emoji\n');
  file('names/\u6f22\u5b57.txt', 'cjk\n');
  file(Buffer.concat([b('names/latin1-'), Buffer.from([0xe9]), b('.txt')]), 'latin1\n');
  file('names/ctl-\u0001.txt', 'control\n');
  file(`names/${'n'.repeat(251)}.txt`, '255 bytes\n');
  dir('empty-dir', 0o750);
  let deep = 'deep';
  dir(deep);
  for (let i = 1; i <= 50; i += 1) dir((deep = `${deep}/d${i}`));
  file(`${deep}/leaf.txt`, 'fifty folders down\n');
  dir('links');
  link('links/rel', '../a.txt', '../a.txt');
  link('links/abs', path.join(root, 'a.txt'), '../a.txt');
  link('links/climb', `../../${runId}/a.txt`, '../a.txt');
  link('links/dir', '../names', '../names');
  link('links/dangling', 'missing.txt', 'missing.txt');

  symlinkSync('/etc/passwd', abs(b('links/escape')));
  skipped.push('links/escape');
  execFileSync('mkfifo', [path.join(root, 'fifo')]);
  skipped.push('fifo');
  // Folders of 250 bytes until a path passes PATH_MAX (4096 with its NUL):
  // made with `cd` one step at a time, as no single path can name them.
  const long = 'L'.repeat(250);
  spawnSync('bash', [
    '-c',
    `cd "$1" && for i in $(seq 20); do mkdir "$2" && cd "$2"; done && echo x > f`,
    '-',
    root,
    long,
  ]);
  let rel = 'long';
  mkdirSync(path.join(root, rel));
  entries.push({ name: b(rel), kind: 'dir', mode: 0o755, ...DEFAULT_TIME });
  spawnSync('bash', ['-c', `cd "$1" && mv "$2" long/`, '-', root, long]);
  for (let i = 0; i < 20; i += 1) {
    rel = `${rel}/${long}`;
    if (root.length + 1 + rel.length >= 4096) {
      skipped.push(rel);
      break;
    }
    entries.push({ name: b(rel), kind: 'dir', mode: 0o755, ...DEFAULT_TIME });
  }

  for (const e of entries) if (e.kind !== 'symlink') chmodSync(abs(e.name), e.mode);
  // Deepest first, so setting a folder's time is not undone by its contents.
  for (const e of [...entries].reverse()) setTime(abs(e.name), e.sec, e.nsec);
  return { root, entries, skipped };
}
