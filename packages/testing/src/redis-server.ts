/**
 * Private redis-servers for tests: on free ports, in temp folders, gone when
 * stopped. Tests never touch the machine's Redis on 6379.
 *
 *   startRedisServer   one server (the usual)
 *   startRedisCluster  6 nodes, `redis-cli --cluster create … --cluster-replicas 1`
 *   startRedisSentinel 1 master, 1 replica, 3 Sentinels monitoring "mymaster"
 *
 * Cluster and Sentinel are slow to set up: start them once per test file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startPrivateRedis, type PrivateRedis } from '@runwarden/core/essentials';
import { waitFor } from './context.js';

export { freePort } from '@runwarden/core/essentials';
export type RedisServer = PrivateRedis;

export function startRedisServer(
  options: { appendonly?: boolean; port?: number; extraArgs?: string[]; dir?: string } = {},
): Promise<RedisServer> {
  return startPrivateRedis(options);
}

export interface RedisTopology {
  /** The URL runwarden is given (redis-cluster://… or redis-sentinel://…). */
  url: string;
  nodes: RedisServer[];
  /** The node that is master for `key` now. */
  masterFor(key: string): Promise<RedisServer>;
  /** Restarts killed data nodes and waits until each is a synced replica again. */
  heal(): Promise<void>;
  stop(): Promise<void>;
}

const isDead = (n: RedisServer) => n.process.exitCode !== null || n.process.signalCode !== null;

async function restartAsReplica(nodes: RedisServer[]): Promise<void> {
  for (const n of nodes.filter(isDead)) {
    await n.start();
    await waitFor(
      () =>
        ask(n.port, async (r) => /master_link_status:up/.test(await r.info('replication'))).catch(
          () => false,
        ),
      `node ${n.port} to rejoin as a synced replica`,
      60_000,
      200,
    );
  }
}

async function ask<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

function topologyDir(name: string): { dir: string; sub(n: string): string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `runwarden-${name}-`));
  return {
    dir,
    sub(n) {
      const d = path.join(dir, n);
      mkdirSync(d, { recursive: true });
      return d;
    },
  };
}

export async function startRedisCluster(): Promise<RedisTopology> {
  const root = topologyDir('cluster');
  const nodes: RedisServer[] = [];
  for (let i = 0; i < 6; i += 1)
    nodes.push(
      await startRedisServer({
        appendonly: true,
        dir: root.sub(`node-${i}`),
        extraArgs: [
          '--cluster-enabled',
          'yes',
          '--cluster-node-timeout',
          '2000',
          // Start a replica's first sync at once, not after the default 5 s wait for more replicas.
          '--repl-diskless-sync-delay',
          '0',
        ],
      }),
    );
  execFileSync(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ],
    { stdio: 'ignore' },
  );
  for (const n of nodes)
    await waitFor(
      () =>
        ask(n.port, async (r) => /cluster_state:ok/.test(String(await r.call('CLUSTER', 'INFO')))),
      `cluster node ${n.port} to be ok`,
      30_000,
      100,
    );
  // A replica that never synced cannot be promoted: until then, killing its master takes the
  // cluster down for good (seen as CLUSTERDOWN for minutes when a test killed a master early).
  for (const n of nodes)
    await waitFor(
      () =>
        ask(n.port, async (r) => {
          const info = await r.info('replication');
          return /role:master/.test(info) || /master_link_status:up/.test(info);
        }),
      `cluster node ${n.port} to be a master or a synced replica`,
      30_000,
      100,
    );
  return {
    url: `redis-cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    nodes,
    async masterFor(key) {
      const live = nodes.find((n) => !isDead(n))!;
      return ask(live.port, async (r) => {
        const slot = Number(await r.call('CLUSTER', 'KEYSLOT', key));
        const ranges = (await r.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        const owner = ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
        return nodes.find((n) => n.port === Number(owner))!;
      });
    },
    heal: () => restartAsReplica(nodes),
    async stop() {
      // SIGKILL: a master's SIGTERM waits for its replicas (shutdown-timeout); nothing here is kept.
      await Promise.all(nodes.map((n) => n.kill(true).catch(() => undefined)));
      rmSync(root.dir, { recursive: true, force: true });
    },
  };
}

export async function startRedisSentinel(masterName = 'mymaster'): Promise<RedisTopology> {
  const root = topologyDir('sentinel');
  const master = await startRedisServer({ appendonly: true, dir: root.sub('master') });
  const replica = await startRedisServer({
    appendonly: true,
    dir: root.sub('replica'),
    extraArgs: ['--replicaof', '127.0.0.1', String(master.port)],
  });
  const sentinels: RedisServer[] = [];
  for (let i = 0; i < 3; i += 1) {
    const dir = root.sub(`sentinel-${i}`);
    const port = await freePort();
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 2`,
        `sentinel down-after-milliseconds ${masterName} 1000`,
        `sentinel failover-timeout ${masterName} 10000`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(await startSentinelProcess(conf, port, dir));
  }
  const nodes = [master, replica];
  await waitFor(
    () => ask(replica.port, async (r) => /master_link_status:up/.test(await r.info('replication'))),
    'the replica to sync',
    30_000,
    100,
  );
  return {
    url: `redis-sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${masterName}`,
    nodes: [...nodes, ...sentinels],
    async masterFor() {
      const [, port] = await ask(
        sentinels[0]!.port,
        async (r) =>
          (await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string],
      );
      return nodes.find((n) => n.port === Number(port))!;
    },
    async heal() {
      const restarted = nodes.filter(isDead).map((n) => n.port);
      await restartAsReplica(nodes);
      // A Sentinel promotes only a replica it sees healthy (it polls replicas every 10 s).
      for (const sentinel of sentinels)
        await waitFor(
          () =>
            ask(sentinel.port, async (r) => {
              const replicas = (await r.call('SENTINEL', 'REPLICAS', masterName)) as string[][];
              const seen = replicas.map((flat) => {
                const o: Record<string, string> = {};
                for (let i = 0; i < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
                return o;
              });
              return restarted.every((port) =>
                seen.some((o) => Number(o.port) === port && o.flags === 'slave'),
              );
            }),
          `Sentinel ${sentinel.port} to see the restarted replica healthy`,
          60_000,
          250,
        );
    },
    async stop() {
      await Promise.all([...nodes, ...sentinels].map((n) => n.kill(true).catch(() => undefined)));
      rmSync(root.dir, { recursive: true, force: true });
    },
  };
}

/** A Sentinel is redis-server with its config file first and `--sentinel`. */
async function startSentinelProcess(conf: string, port: number, dir: string): Promise<RedisServer> {
  const server = await startPrivateRedis({
    port,
    dir,
    configFile: conf,
    extraArgs: ['--sentinel'],
  });
  return server;
}
