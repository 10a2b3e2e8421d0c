/**
 * Finding Redis for a command:
 *
 *   redis.url / REDIS_URL ──parse──▶ check (login, master, Cluster prefix, eviction policy)
 *     ok ──▶ use it
 *     unreachable, URL is the built-in default, REDIS_URL unset, command may bootstrap
 *        ──▶ a private redis-server from the PATH (said out loud, stopped on exit)
 *     anything else ──▶ CliError (exit 1) saying which problem: never a second system
 *
 * A private Redis next to a configured one would be a second runwarden on the
 * same database (two scanners, two notifications per run), so it is only for
 * the zero-config laptop case.
 */
import {
  checkRedis,
  DEFAULT_REDIS_URL,
  evictionWarning,
  parseRedisUrl,
  RedisCheckError,
  REDIS_INSTALL_HINT,
  startPrivateRedis,
  type RedisCheck,
  type RedisProblem,
} from '@runwarden/core/essentials';
import { CliError } from './cli-error.js';

/** The part of a pino Logger the check uses. */
export interface CheckLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface ResolvedRedis {
  url: string;
  /** True when runwarden started the server itself. */
  private: boolean;
  stop(): Promise<void>;
}

export interface CheckRedisOptions {
  url: string;
  /** Queue prefix: on a Cluster it must carry a hash tag. */
  prefix: string;
  env: NodeJS.ProcessEnv;
  /** Where the check's warnings go (a pino Logger, or a lazy stand-in for one). */
  logger: CheckLogger;
  /** Where the config came from, for the hint (`redis.url in <file>`). */
  configFile?: string;
}

export interface ResolveRedisOptions extends CheckRedisOptions {
  /** Where to tell the person (stderr). */
  say: (line: string) => void;
  /** Keep the private server's data in AOF (for `start`). */
  persistent?: boolean;
}

function whereSet(options: CheckRedisOptions): string {
  return options.env.REDIS_URL
    ? 'REDIS_URL'
    : `redis.url${options.configFile ? ` in ${options.configFile}` : ''}`;
}

async function check(options: CheckRedisOptions): Promise<RedisCheck> {
  const result = await checkRedis(parseRedisUrl(options.url), { prefix: options.prefix });
  const eviction = evictionWarning(result);
  if (eviction) options.logger.warn({ redis: result.where }, eviction);
  return result;
}

/** A configured Redis runwarden cannot use; `problem` says which way. Exit status 1. */
export class RedisUnusableError extends CliError {
  override name = 'RedisUnusableError';
  constructor(
    message: string,
    readonly problem: RedisProblem,
  ) {
    super(message, 1);
  }
}

function explain(err: unknown, options: CheckRedisOptions): unknown {
  if (!(err instanceof RedisCheckError)) return err;
  const hint =
    err.problem === 'unreachable'
      ? `: start that Redis or fix ${whereSet(options)}`
      : err.problem === 'misconfigured'
        ? ''
        : ` (set in ${whereSet(options)})`;
  return new RedisUnusableError(`${err.message}${hint}`, err.problem);
}

/** Checks the configured Redis; a CliError (exit 1) saying which problem when it cannot be used. */
export async function checkConfiguredRedis(options: CheckRedisOptions): Promise<RedisCheck> {
  try {
    return await check(options);
  } catch (err) {
    throw explain(err, options);
  }
}

/** True in the zero-config case only: nobody said where Redis is. */
export function mayStartPrivateRedis(url: string, env: NodeJS.ProcessEnv): boolean {
  return !env.REDIS_URL && url === DEFAULT_REDIS_URL;
}

export async function resolveRedis(options: ResolveRedisOptions): Promise<ResolvedRedis> {
  const { url, env, say } = options;
  try {
    await check(options);
    return { url, private: false, stop: async () => undefined };
  } catch (err) {
    const unreachable = err instanceof RedisCheckError && err.problem === 'unreachable';
    if (!unreachable || !mayStartPrivateRedis(url, env)) throw explain(err, options);
  }
  let server;
  try {
    server = await startPrivateRedis({ appendonly: options.persistent ?? false });
  } catch (err) {
    throw new CliError(
      `No Redis answered at ${DEFAULT_REDIS_URL} and runwarden could not start one (${(err as Error).message}). To get Redis: ${REDIS_INSTALL_HINT}.`,
    );
  }
  say(
    `No Redis answered at ${DEFAULT_REDIS_URL} and none is configured: started a private redis-server on ${server.url} (data in ${server.dir}); it stops when runwarden exits. Set REDIS_URL or redis.url to use your own.`,
  );
  options.logger.info({ url: server.url, dir: server.dir }, 'Started a private redis-server');
  return { url: server.url, private: true, stop: () => server.stop() };
}
