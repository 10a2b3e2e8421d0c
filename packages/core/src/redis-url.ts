/**
 * The one reader of Redis URLs. Every command (start, scanner, worker, board
 * and /readyz, status, dlq, alert test, demo) goes through `parseRedisUrl`, so
 * a URL means the same thing everywhere and its passwords never reach a log:
 *
 *   redis://[user:pass@]host:6379[/db]          one server
 *   rediss://…                                  one server over TLS
 *   redis-sentinel://[user:pass@]s1:26379,s2/<master>[/db][?sentinelPassword=…&sentinelUsername=…]
 *   redis-cluster://[user:pass@]n1:7000,n2:7001 Cluster seed nodes
 *   rediss-sentinel://…, rediss-cluster://…     the same over TLS
 *
 * The user and password in front of `@` are the data nodes' (master's) login;
 * Sentinels often have none, or their own, given as `sentinelPassword`.
 */
import { RunwardenError } from './errors.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisHost {
  host: string;
  port: number;
}

interface Login {
  username?: string;
  password?: string;
  tls: boolean;
}

export type RedisTarget =
  | ({ kind: 'single'; host: string; port: number; db: number } & Login)
  | ({
      kind: 'sentinel';
      sentinels: RedisHost[];
      name: string;
      db: number;
      sentinelUsername?: string;
      sentinelPassword?: string;
    } & Login)
  | ({ kind: 'cluster'; nodes: RedisHost[] } & Login);

export type RedisProblem = 'unreachable' | 'auth' | 'not-master' | 'misconfigured';

/** Redis could not be used: `problem` says which way, the message says what to do. */
export class RedisCheckError extends RunwardenError {
  override name = 'RedisCheckError';
  readonly problem: RedisProblem;
  readonly target: string;

  constructor(problem: RedisProblem, target: string, message: string, cause?: unknown) {
    super('REDIS_UNAVAILABLE', message, { cause });
    this.problem = problem;
    this.target = target;
  }
}

/** Every password seen by the parser, so that texts from ioredis can be scrubbed of them. */
const knownSecrets = new Set<string>();

function remember(secret: string | undefined): string | undefined {
  if (secret) knownSecrets.add(secret);
  return secret || undefined;
}

function usage(url: string, problem: string): RunwardenError {
  return new RunwardenError('USAGE', `Redis URL ${redactUrl(url)} ${problem}`);
}

function hostList(url: string, text: string, defaultPort: number): RedisHost[] {
  const hosts = text.split(',').filter(Boolean);
  if (hosts.length === 0) throw usage(url, 'names no host');
  return hosts.map((part) => {
    const m = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(part);
    if (!m) throw usage(url, `has a host it cannot read: ${JSON.stringify(part)}`);
    const port = m[2] ? Number(m[2]) : defaultPort;
    if (port < 1 || port > 65535) throw usage(url, `has a port out of range: ${m[2]}`);
    return { host: m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1', port };
  });
}

function dbNumber(url: string, text: string | undefined): number {
  if (!text) return 0;
  if (!/^\d+$/.test(text)) throw usage(url, `has a database number that is not one: ${text}`);
  return Number(text);
}

function login(auth: string | undefined, tls: boolean): Login {
  if (!auth) return { tls };
  const colon = auth.indexOf(':');
  const user = decodeURIComponent(colon < 0 ? '' : auth.slice(0, colon));
  const pass = decodeURIComponent(colon < 0 ? auth : auth.slice(colon + 1));
  const username = user || undefined;
  const password = remember(pass);
  return { tls, ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

const MULTI_HOST =
  /^(rediss?)-(sentinel|cluster):\/\/(?:([^@/]*)@)?([^/?#]+)(?:\/([^/?#]*))?(?:\/([^/?#]*))?(?:\?([^#]*))?$/;

/** Reads a Redis URL, or throws a USAGE error that names the URL (redacted) and what is wrong. */
export function parseRedisUrl(url: string): RedisTarget {
  const multi = MULTI_HOST.exec(url.trim());
  if (multi) {
    const [, scheme, kind, auth, hosts, first, second, query] = multi;
    const base = login(auth, scheme === 'rediss');
    const params = new URLSearchParams(query ?? '');
    if (kind === 'cluster') {
      if (first || second)
        throw usage(url, 'has a path; a Cluster URL has none (Cluster has db 0 only)');
      return { kind: 'cluster', nodes: hostList(url, hosts!, 6379), ...base };
    }
    if (!first)
      throw usage(
        url,
        'names no master: write redis-sentinel://host:26379/<master-name>, the name the Sentinels monitor',
      );
    const sentinelUsername = params.get('sentinelUsername') || undefined;
    const sentinelPassword = remember(params.get('sentinelPassword') ?? undefined);
    return {
      kind: 'sentinel',
      sentinels: hostList(url, hosts!, 26379),
      name: decodeURIComponent(first),
      db: dbNumber(url, second),
      ...base,
      ...(sentinelUsername ? { sentinelUsername } : {}),
      ...(sentinelPassword ? { sentinelPassword } : {}),
    };
  }
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw usage(
      url,
      'is not a URL: write redis://host:6379, rediss://…, redis-sentinel://… or redis-cluster://…',
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw usage(
      url,
      `has the scheme ${parsed.protocol.slice(0, -1)}; runwarden reads redis, rediss, redis-sentinel and redis-cluster`,
    );
  const auth = parsed.username || parsed.password ? `${parsed.username}:${parsed.password}` : '';
  const [host] = hostList(url, parsed.host || '127.0.0.1', 6379);
  return {
    kind: 'single',
    ...host!,
    db: dbNumber(url, parsed.pathname.replace(/^\//, '')),
    ...login(auth, parsed.protocol === 'rediss:'),
  };
}

/**
 * A URL with its passwords replaced by `***`: `redis://u:secret@h:6379/0` →
 * `redis://u:***@h:6379/0`; an http(s) URL keeps only its host. Never throws.
 */
export function redactUrl(url: string): string {
  const multi = /^([a-z-]+:\/\/)(?:[^@/]*@)?([^?#]*)(\?[^#]*)?/i.exec(url);
  if (multi && /^rediss?-(sentinel|cluster):/.test(url)) {
    const auth = /^[a-z-]+:\/\/([^@/]*)@/i.exec(url)?.[1];
    const user = auth?.includes(':') ? auth.slice(0, auth.indexOf(':')) : '';
    const query = multi[3]?.replace(/(password=)[^&]*/gi, '$1***') ?? '';
    return `${multi[1]}${auth ? `${user}:***@` : ''}${multi[2]}${query}`;
  }
  try {
    const parsed = new URL(url);
    if (parsed.protocol.startsWith('http')) return `${parsed.protocol}//${parsed.host}/***`;
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** Where a target is, for people: hosts and master name, never a login. */
export function describeTarget(target: RedisTarget): string {
  const s = target.tls ? 's' : '';
  const list = (hosts: RedisHost[]) => hosts.map((h) => `${h.host}:${h.port}`).join(',');
  if (target.kind === 'single')
    return `redis${s}://${target.host}:${target.port}${target.db ? `/${target.db}` : ''}`;
  if (target.kind === 'sentinel')
    return `redis${s}-sentinel://${list(target.sentinels)}/${target.name}${target.db ? `/${target.db}` : ''}`;
  return `redis${s}-cluster://${list(target.nodes)}`;
}

/**
 * A text with every Redis password runwarden has read replaced by `***`, and
 * any `scheme://user:pass@` login too. For error texts from ioredis and BullMQ,
 * which may quote a URL or a failed AUTH.
 */
export function redactSecrets(text: string): string {
  let out = text.replace(/([a-z-]+:\/\/[^:/@\s]*:)[^@\s/]+@/gi, '$1***@');
  for (const secret of knownSecrets) out = out.split(secret).join('***');
  return out;
}

/**
 * On Redis Cluster every key of one BullMQ queue must hash to one slot, which
 * a hash tag in the prefix (`{runwarden}`) gives. Throws a RedisCheckError otherwise.
 */
export function checkClusterPrefix(target: RedisTarget, prefix: string): void {
  if (target.kind !== 'cluster' || /\{[^}]+\}/.test(prefix)) return;
  throw new RedisCheckError(
    'misconfigured',
    describeTarget(target),
    `The queue prefix ${JSON.stringify(prefix)} has no hash tag, and ${describeTarget(target)} is a Redis Cluster: BullMQ needs each queue's keys in one slot. Set redis.prefix to "{${prefix}}" (or RUNWARDEN_PREFIX={${prefix}}).`,
  );
}
