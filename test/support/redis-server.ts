/**
 * A private redis-server for tests: on a free port, in a temp folder, gone
 * when stopped. Tests never touch the machine's Redis on 6379.
 */
import { startPrivateRedis, type PrivateRedis } from '../../packages/core/src/private-redis.js';

export { freePort } from '../../packages/core/src/private-redis.js';
export type RedisServer = PrivateRedis;

export function startRedisServer(
  options: { appendonly?: boolean; port?: number; extraArgs?: string[] } = {},
): Promise<RedisServer> {
  return startPrivateRedis(options);
}
