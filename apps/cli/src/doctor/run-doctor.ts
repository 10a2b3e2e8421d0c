/**
 * `runwarden doctor`: every check of the deployment, in the order an operator
 * would fix them, with no writes except a probe file in each folder (and test
 * messages with `--send`).
 *
 *   database (read-only) ─▶ redis (INFO) ─▶ leases ─▶ folders ─▶ channels ─▶ board
 */
import { createRedisConnection, pingRedis, type LoadedConfig } from '@runwarden/core/essentials';
import { checkDatabase } from './check-database.js';
import { checkBoard, checkChannels, checkFolders } from './check-deployment.js';
import { checkLeases, parseInfo, redisInfoChecks } from './check-redis.js';
import { errorText, fail, ok, type DoctorCheck } from './doctor-check.js';

export interface DoctorOptions {
  /** Send a test message through each enabled channel. @defaultValue false */
  send?: boolean;
  /** @defaultValue Date.now */
  clock?: () => number;
}

async function checkRedis(loaded: LoadedConfig, now: number): Promise<DoctorCheck[]> {
  const { url, prefix } = loaded.config.redis;
  try {
    await pingRedis(url);
  } catch (err) {
    return [
      fail(
        'redis',
        'reachable',
        errorText(err),
        `start Redis, or fix redis.url in ${loaded.file} (or REDIS_URL)`,
      ),
    ];
  }
  const redis = createRedisConnection(url, { name: 'runwarden:doctor' });
  try {
    const info = parseInfo(await redis.info());
    return [
      ok('redis', 'reachable', url.replace(/\/\/[^@]*@/, '//***@')),
      ...redisInfoChecks(info, prefix),
      ...(await checkLeases(redis, prefix, now, 3 * loaded.config.scanner.pollInterval)),
    ];
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

export async function runDoctor(
  loaded: LoadedConfig,
  options: DoctorOptions = {},
): Promise<DoctorCheck[]> {
  const now = (options.clock ?? Date.now)();
  return [
    ...checkDatabase(loaded.config.database, now),
    ...(await checkRedis(loaded, now)),
    ...checkFolders(loaded.config),
    ...(await checkChannels(loaded.alerts, options.send ?? false)),
    ...checkBoard(loaded.config),
  ];
}

const MARK = { ok: '✔', warn: '!', fail: '✘' } as const;

export function formatDoctor(checks: readonly DoctorCheck[]): string {
  const lines: string[] = [];
  let group = '';
  for (const c of checks) {
    if (c.group !== group) lines.push(`${(group = c.group)}`);
    lines.push(`  ${MARK[c.status]} ${c.name}: ${c.detail}`);
    if (c.fix) lines.push(`      fix: ${c.fix}`);
  }
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  lines.push(
    failed > 0
      ? `${failed} check(s) failed, ${warned} warning(s): fix the failures above.`
      : `All ${checks.length} checks passed${warned > 0 ? ` (${warned} warning(s))` : ''}.`,
  );
  return lines.join('\n');
}
