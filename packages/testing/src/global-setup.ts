/**
 * Vitest global setup: a private redis-server on a free port for this run,
 * unless REDIS_URL is given. Tests read it with `inject('redisUrl')`.
 */
import type { TestProject } from 'vitest/node';
import { startRedisServer, type RedisServer } from './redis-server.js';

let server: RedisServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  let url = process.env.REDIS_URL;
  if (!url) {
    server = await startRedisServer();
    url = server.url;
  }
  project.provide('redisUrl', url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
