/**
 * What each test owns: a queue prefix, a temp folder, and cleanup that runs
 * every step even when one fails.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

export interface TestContext {
  redisUrl: string;
  prefix: string;
  dir: string;
  /** Registers a cleanup step; steps run last-in first-out. */
  defer(step: () => unknown): void;
  cleanup(): Promise<void>;
}

export function createTestContext(name = 'test'): TestContext {
  const redisUrl = inject('redisUrl');
  const prefix = `test-${randomUUID()}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), `runwarden-${name}-`));
  const steps: (() => unknown)[] = [];
  return {
    redisUrl,
    prefix,
    dir,
    defer: (step) => steps.push(step),
    async cleanup() {
      for (const step of steps.reverse()) {
        try {
          await step();
        } catch (err) {
          console.error('cleanup step failed:', err);
        }
      }
      await deletePrefix(redisUrl, prefix);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Removes every Redis key under a test's prefix. */
export async function deletePrefix(redisUrl: string, prefix: string): Promise<void> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** Waits until `check` returns a truthy value, polling; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
  everyMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
