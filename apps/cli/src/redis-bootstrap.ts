/**
 * Finding Redis for `start` and `demo`: the configured URL when it answers;
 * else, when REDIS_URL was not given, a private redis-server from the PATH
 * (said out loud, and stopped on exit); else a clear error saying how to get one.
 */
import {
  pingRedis,
  redactUrl,
  REDIS_INSTALL_HINT,
  startPrivateRedis,
  type Logger,
} from '@runwarden/core';
import { CliError } from './cli-error.js';

export interface ResolvedRedis {
  url: string;
  /** True when runwarden started the server itself. */
  private: boolean;
  stop(): Promise<void>;
}

export interface ResolveRedisOptions {
  url: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Where to tell the person (stderr). */
  say: (line: string) => void;
  /** Keep the private server's data in AOF (for `start`). */
  persistent?: boolean;
}

export async function resolveRedis(options: ResolveRedisOptions): Promise<ResolvedRedis> {
  const { url, env, say } = options;
  try {
    await pingRedis(url);
    return { url, private: false, stop: async () => undefined };
  } catch (err) {
    if (env.REDIS_URL) {
      throw new CliError(
        `${(err as Error).message}. REDIS_URL is set, so runwarden will not start a Redis of its own: start that Redis or fix REDIS_URL.`,
      );
    }
  }
  let server;
  try {
    server = await startPrivateRedis({ appendonly: options.persistent ?? false });
  } catch (err) {
    throw new CliError(
      `No Redis answered at ${redactUrl(url)} and runwarden could not start one (${(err as Error).message}). To get Redis: ${REDIS_INSTALL_HINT}.`,
    );
  }
  say(
    `No Redis answered at ${redactUrl(url)}: started a private redis-server on ${server.url} (data in ${server.dir}); it stops when runwarden exits.`,
  );
  options.logger.info({ url: server.url, dir: server.dir }, 'Started a private redis-server');
  return { url: server.url, private: true, stop: () => server.stop() };
}
