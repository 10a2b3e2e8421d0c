/**
 * Checks shared by the archive tests: Info-ZIP's `unzip -t` on every zip,
 * and an extraction compared with the source file by file (bytes, mode,
 * mtime, symlink targets). Not part of the package's API.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** Runs `unzip -tq`; returns its exit status and output. */
export function unzipTest(zipPath: string): { status: number | null; output: string } {
  const r = spawnSync('unzip', ['-tq', zipPath], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Every path under `root`, relative, `/`-separated, folders ending with `/`. */
function listTree(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, rel)).sort()) {
    const relPath = rel ? `${rel}/${name}` : name;
    const st = lstatSync(path.join(root, relPath));
    if (st.isDirectory()) out.push(`${relPath}/`, ...listTree(root, relPath));
    else out.push(relPath);
  }
  return out;
}

/**
 * Extracts `zipPath` with Info-ZIP `unzip` into `into` and returns the
 * differences from `source` (empty when they match), ignoring `except`.
 */
export function compareExtraction(
  zipPath: string,
  source: string,
  into: string,
  except: readonly string[] = [],
): string[] {
  mkdirSync(into, { recursive: true });
  const r = spawnSync('unzip', ['-q', '-o', zipPath, '-d', into], { encoding: 'utf8' });
  if (r.status !== 0 && !/zipfile is empty/.test(`${r.stdout}${r.stderr}`))
    return [`unzip failed: ${r.stderr}`];
  const problems: string[] = [];
  const want = listTree(source).filter((p) => !except.includes(p.replace(/\/$/, '')));
  const got = listTree(into);
  if (want.join('\n') !== got.join('\n'))
    problems.push(`paths differ:\n want ${want.join(', ')}\n got  ${got.join(', ')}`);
  for (const rel of want) {
    const a = lstatSync(path.join(source, rel));
    const b = lstatSync(path.join(into, rel));
    if ((a.mode & 0o7777) !== (b.mode & 0o7777) && !a.isSymbolicLink())
      problems.push(`${rel}: mode ${a.mode.toString(8)} became ${b.mode.toString(8)}`);
    if (a.isSymbolicLink()) {
      if (
        !b.isSymbolicLink() ||
        readlinkSync(path.join(source, rel)) !== readlinkSync(path.join(into, rel))
      )
        problems.push(`${rel}: symlink not kept`);
    } else if (a.isFile()) {
      if (!readFileSync(path.join(source, rel)).equals(readFileSync(path.join(into, rel))))
        problems.push(`${rel}: contents differ`);
      if (Math.floor(a.mtimeMs / 1000) !== Math.floor(b.mtimeMs / 1000))
        problems.push(`${rel}: mtime ${a.mtime.toISOString()} became ${b.mtime.toISOString()}`);
    }
  }
  return problems;
}
