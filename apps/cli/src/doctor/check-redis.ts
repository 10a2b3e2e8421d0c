/**
 * Doctor's Redis checks (reachable, version, eviction, persistence, Cluster
 * hash tag) and lease check (which scanner scans, and when it last did).
 */
import { parseScannerStatus, scannerLeaseKey, scannerStatusKey } from '@runwarden/core/essentials';
import type { Redis } from 'ioredis';
import { fail, ok, warn, type DoctorCheck } from './doctor-check.js';

/** `INFO` text as a map of its `key:value` lines. */
export function parseInfo(text: string): Map<string, string> {
  const info = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) info.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return info;
}

const major = (version: string) => Number(version.split('.')[0]);

/** The checks that need only `INFO` and the prefix: pure, so each case is a unit test. */
export function redisInfoChecks(info: Map<string, string>, prefix: string): DoctorCheck[] {
  const G = 'redis';
  const version = info.get('redis_version') ?? 'unknown';
  const policy = info.get('maxmemory_policy') ?? 'unknown';
  const aof = info.get('aof_enabled') === '1';
  const rdb =
    Number(info.get('rdb_changes_since_last_save') ?? NaN) >= 0 &&
    info.get('rdb_last_save_time') !== undefined;
  const cluster = info.get('cluster_enabled') === '1';
  const tagged = /\{[^}]+\}/.test(prefix);
  return [
    major(version) >= 6
      ? ok(G, 'version', version)
      : fail(G, 'version', `${version}: BullMQ needs Redis 6.2 or newer`, 'upgrade Redis'),
    policy === 'noeviction'
      ? ok(G, 'maxmemory-policy', 'noeviction')
      : fail(
          G,
          'maxmemory-policy',
          `${policy}: Redis may evict queue keys when memory runs short, losing jobs`,
          'set maxmemory-policy noeviction (redis.conf or CONFIG SET)',
        ),
    aof
      ? ok(G, 'persistence', 'AOF on')
      : warn(
          G,
          'persistence',
          rdb
            ? 'AOF off (RDB snapshots only): a restart loses the jobs since the last snapshot'
            : 'AOF off',
          'set appendonly yes (the compose file does)',
        ),
    !cluster
      ? ok(G, 'cluster prefix', `not a cluster; prefix ${prefix}`)
      : tagged
        ? ok(G, 'cluster prefix', `cluster; prefix ${prefix} has a hash tag`)
        : fail(
            G,
            'cluster prefix',
            `cluster, but prefix "${prefix}" has no hash tag: a queue's keys land in different slots`,
            `set redis.prefix (or RUNWARDEN_PREFIX) to "{${prefix}}"`,
          ),
  ];
}

/** `staleMs`: a last scan older than this, with the lease held, is reported (a stuck scanner). */
export async function checkLeases(
  redis: Redis,
  prefix: string,
  now: number,
  staleMs: number,
): Promise<DoctorCheck[]> {
  const G = 'leases';
  const [holder, hash] = await Promise.all([
    redis.get(scannerLeaseKey(prefix)),
    redis.hgetall(scannerStatusKey(prefix)),
  ]);
  const status = parseScannerStatus(hash);
  const last = status.lastScanAt ? Date.parse(status.lastScanAt) : NaN;
  const checks = [
    holder
      ? ok(G, 'scanner lease', `held by ${holder}`)
      : fail(
          G,
          'scanner lease',
          'no scanner holds the lease: nothing is detected',
          'start one: `runwarden scanner` (or `runwarden start`); run two for failover',
        ),
  ];
  if (Number.isNaN(last))
    checks.push(
      warn(G, 'last scan', 'no scan recorded yet', 'start a scanner and wait a few seconds'),
    );
  else {
    const detail = `${status.lastScanAt} (${Math.max(0, Math.round((now - last) / 1000))} s ago) by ${status.holder ?? 'unknown'}`;
    checks.push(
      now - last <= staleMs || !holder
        ? ok(G, 'last scan', detail)
        : warn(
            G,
            'last scan',
            `${detail}: longer ago than 3 × scanner.pollInterval`,
            "look at the lease holder's logs: it may be stuck on a locked database",
          ),
    );
  }
  return checks;
}
