/**
 * A private redis-server for tests: on a free port, in a temp folder, gone
 * when stopped. Tests never touch the machine's Redis on 6379.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Stops the server (SIGKILL when `hard`) and keeps its folder, so `start` can resume from AOF. */
  kill(hard?: boolean): Promise<void>;
  start(): Promise<void>;
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

export function redisServerBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const bin = found.stdout.trim();
  if (!bin) throw new Error('redis-server is not on the PATH: install it with `apt-get install redis-server`, or set REDIS_URL');
  return bin;
}

function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`redis-server exited with ${child.exitCode}`));
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on ${port}`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

export async function startRedisServer(options: { appendonly?: boolean; port?: number } = {}): Promise<RedisServer> {
  const bin = redisServerBinary();
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runwarden-redis-'));
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', options.appendonly ? 'yes' : 'no', '--appendfsync', 'always',
    '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--loglevel', 'warning',
  ];
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    process: undefined as unknown as ChildProcess,
    async start() {
      server.process = spawn(bin, args, { stdio: 'ignore' });
      await waitForPort(port, server.process);
    },
    async kill(hard = false) {
      const child = server.process;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
    async stop() {
      await server.kill(false);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
