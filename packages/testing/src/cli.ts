/** Runs the real `runwarden` command as a process, from sources (no build needed). */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = path.join(REPO_ROOT, 'apps/cli/src/main.ts');
/** tsx's loader by absolute URL, so the process may run in any folder. */
export const TSX_LOADER = pathToFileURL(
  path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs'),
).href;
/** Node arguments that run a TypeScript entry of this repository from sources. */
export const SOURCE_NODE_ARGS = ['--conditions=@runwarden/source', '--import', TSX_LOADER];

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  return spawn(process.execPath, [...SOURCE_NODE_ARGS, MAIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCliProcess(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliRun> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
