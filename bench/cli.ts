/**
 * The built `runwarden` command's start-up cost, as a container healthcheck
 * pays it every 30 s: `--version` (commander only) and `status --json`
 * (config, Redis, queue counts) against a private Redis. Needs `npm run build`.
 * Wall time is the median of several runs; RSS is the child's peak (GNU time).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPrivateRedis } from '@runwarden/core';
import { quantile } from './support-stats.js';
import type { Bench, BenchFigure } from './types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'apps/cli/bin/runwarden.js');
const RUNS = 7;

function measure(args: string[], env: NodeJS.ProcessEnv): { ms: number; rssMb: number } {
  const ms: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const child = spawnSync('/usr/bin/time', ['-f', 'RWBENCH %M', process.execPath, ...args], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    ms.push(performance.now() - start);
    if (child.status !== 0)
      throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
    const kb = /RWBENCH (\d+)/.exec(child.stderr)?.[1];
    rss.push(kb ? Number(kb) / 1024 : NaN);
  }
  return { ms: quantile(ms, 0.5), rssMb: quantile(rss, 0.5) };
}

export const run: Bench = async () => {
  if (!existsSync(path.join(ROOT, 'apps/cli/dist/main.js')))
    throw new Error('bench cli measures the built CLI: run `npm run build` first');
  if (!existsSync('/usr/bin/time'))
    throw new Error('bench cli needs GNU time: apt-get install time');
  const redis = await startPrivateRedis();
  try {
    const env = { ...process.env, REDIS_URL: redis.url, RUNWARDEN_PREFIX: 'bench-cli' };
    const floor = measure(['-e', ''], env);
    const reference = { name: 'node -e ""', value: floor.ms, unit: 'ms' };
    const figures: BenchFigure[] = [];
    for (const [name, args, targetMs] of [
      ['runwarden --version', ['--version'], 150],
      ['runwarden status --json', ['status', '--json'], 400],
    ] as const) {
      const m = measure([BIN, ...args], env);
      figures.push(
        {
          group: 'cli',
          name: `${name}: wall time (median of ${RUNS})`,
          value: m.ms,
          unit: 'ms',
          reference,
          ratio: m.ms / floor.ms,
          target: `≤ ${targetMs} ms`,
          met: m.ms <= targetMs,
        },
        { group: 'cli', name: `${name}: peak RSS`, value: m.rssMb, unit: 'MB' },
      );
    }
    return figures;
  } finally {
    await redis.stop();
  }
};
