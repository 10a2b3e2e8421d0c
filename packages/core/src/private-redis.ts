/**
 * A private redis-server started from the PATH: for `runwarden start`/`demo`
 * on a laptop with no Redis, and for tests that must not touch anyone
 * else's Redis. Runs on a free loopback port, in a folder of its own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RunwardenError } from './errors.js';

export interface PrivateRedisOptions {
  /** Append-only file on, so a restart keeps the queues. @defaultValue false */
  appendonly?: boolean;
  /** @defaultValue a free port */
  port?: number;
  /** @defaultValue a new temp folder, removed by `stop()` */
  dir?: string;
  /** More redis-server arguments, e.g. `['--requirepass', 'x']` (tests of logins and replicas). */
  extraArgs?: string[];
}

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly process: ChildProcess;
  /** Starts (again) on the same port and folder. */
  start(): Promise<void>;
  /** Stops the server, SIGKILL when `hard`, keeping its folder. */
  kill(hard?: boolean): Promise<void>;
  /** Stops the server and removes its folder (when it made it). */
  stop(): Promise<void>;
}

export const REDIS_INSTALL_HINT =
  'install Redis (`apt-get install redis-server`), run `docker compose up redis`, or set REDIS_URL';

export function findRedisServer(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return found.stdout.trim() || undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null)
        return reject(new Error(`redis-server exited with status ${child.exitCode}`));
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline)
          reject(new Error(`redis-server did not listen on port ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const bin = findRedisServer();
  if (!bin)
    throw new RunwardenError(
      'REDIS_UNAVAILABLE',
      `redis-server is not on the PATH: ${REDIS_INSTALL_HINT}`,
    );
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'runwarden-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    ...(options.extraArgs ?? []),
  ];
  let child!: ChildProcess;
  const server: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get process() {
      return child;
    },
    async start() {
      child = spawn(bin, args, { stdio: 'ignore' });
      await waitForPort(port, child);
    },
    async kill(hard = false) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
    async stop() {
      await server.kill(false);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
