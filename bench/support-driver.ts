/**
 * Starts the pipeline driver (support-driver-child.ts) as a process of its
 * own, so its SQLite writes and worktree files cost the measured system's
 * cores like a real pipeline's would, but not the benchmark's event loop.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOURCE_NODE_ARGS } from '@runwarden/testing';
import type { DriverMessage, DriverOptions } from './support-driver-child.js';

export type { DriverOptions } from './support-driver-child.js';
export type DriverTotals = Omit<Extract<DriverMessage, { type: 'done' }>, 'type'>;

interface Commit {
  runId: string;
  outcome: 'succeeded' | 'failed';
  /** Date.now() right after the COMMIT that completed the run. */
  at: number;
}

export interface Driver {
  /** Resolves once the initial active runs are in the database. */
  readonly ready: Promise<number>;
  /** Every completion so far, in commit order. */
  readonly commits: Commit[];
  readonly stalls: { runId: string; at: number }[];
  go(): void;
  /** Stops driving (if still running) and resolves with the totals. */
  stop(): Promise<DriverTotals>;
  readonly done: Promise<DriverTotals>;
  kill(): void;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support-driver-child.ts');

export function startDriver(options: DriverOptions): Driver {
  const child = fork(CHILD, [JSON.stringify(options)], {
    execArgv: SOURCE_NODE_ARGS,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const commits: Commit[] = [];
  const stalls: { runId: string; at: number }[] = [];
  let onReady!: (n: number) => void;
  let onDone!: (t: DriverTotals) => void;
  const ready = new Promise<number>((resolve) => (onReady = resolve));
  const done = new Promise<DriverTotals>((resolve) => (onDone = resolve));
  const failed = new Promise<never>((_, reject) =>
    child.on('exit', (code, signal) =>
      reject(new Error(`the pipeline driver exited (${code ?? signal}) before it was done`)),
    ),
  );
  failed.catch(() => undefined);
  child.on('message', (m: DriverMessage) => {
    if (m.type === 'ready') onReady(m.active);
    else if (m.type === 'completed') commits.push({ runId: m.runId, outcome: m.outcome, at: m.at });
    else if (m.type === 'stalled') stalls.push({ runId: m.runId, at: m.at });
    else if (m.type === 'done') {
      const { type: _type, ...totals } = m;
      onDone(totals);
    }
  });
  return {
    ready: Promise.race([ready, failed]),
    commits,
    stalls,
    done: Promise.race([done, failed]),
    go: () => child.send({ cmd: 'go' }),
    async stop() {
      if (child.connected) child.send({ cmd: 'stop' });
      return Promise.race([done, failed]);
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
