/**
 * What each test owns: a queue prefix, a temp folder, and cleanup that runs
 * every step even when one fails.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { deleteKeysWithPrefix } from '@runwarden/core';

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
      await deleteKeysWithPrefix(redisUrl, prefix);
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
