/**
 * Things that run for a long time have `close()`: idempotent, finishing
 * in-flight work, and running every cleanup step even when one throws.
 */
import type { Logger } from 'pino';

export interface Closeable {
  close(): Promise<void>;
}

/** Wraps a close function so that calling it twice returns the first call's promise. */
export function onceClose(fn: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= fn());
}

/** Runs every step; throws an AggregateError after all have run when any failed. */
export async function closeAll(
  steps: readonly (() => Promise<unknown> | unknown)[],
  what = 'close',
): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1)
    throw new AggregateError(errors, `${errors.length} steps of ${what} failed`);
}

/**
 * SIGINT/SIGTERM: stop taking work, finish or hand back the jobs in hand,
 * exit 0. A second signal exits at once with 130.
 */
export function installShutdown(
  target: Closeable,
  logger: Logger,
  exit: (code: number) => void = process.exit,
): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'Second signal: exiting now without waiting for jobs in hand');
      exit(130);
      return;
    }
    stopping = true;
    logger.info({ signal }, `Received ${signal}: finishing jobs in hand, then exiting`);
    target.close().then(
      () => {
        logger.info('Stopped cleanly');
        logger.flush?.();
        exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'Shutdown did not complete cleanly');
        logger.flush?.();
        exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
