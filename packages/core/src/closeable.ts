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

export interface ShutdownOptions {
  /**
   * How long closing may take before the process exits anyway (status 1),
   * e.g. while Redis is down or frozen and jobs cannot be handed back.
   * @defaultValue 30000
   */
  timeoutMs?: number;
  /** What would be lost by exiting now (jobs in hand), named when the timeout strikes. */
  inHand?: () => string[];
}

/**
 * SIGINT/SIGTERM: stop taking work, finish or hand back the jobs in hand,
 * exit 0. Closing is bounded by `timeoutMs` (exit 1, naming what was
 * abandoned); a second signal exits at once with status 1.
 */
export function installShutdown(
  target: Closeable,
  logger: Logger,
  exit: (code: number) => void = process.exit,
  options: ShutdownOptions = {},
): () => void {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const abandon = (why: string) => {
    const jobs = options.inHand?.() ?? [];
    logger.error(
      { jobsInHand: jobs },
      `${why}: exiting now; ${jobs.length > 0 ? `abandoned ${jobs.join(', ')} (their locks lapse and another worker takes them over)` : 'no job was in hand'}`,
    );
    logger.flush?.();
    exit(1);
  };
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      clearTimeout(timer);
      abandon(`Second signal (${signal})`);
      return;
    }
    stopping = true;
    logger.info(
      { signal, shutdownTimeoutMs: timeoutMs },
      `Received ${signal}: finishing jobs in hand, then exiting (at most ${Math.round(timeoutMs / 1000)} s; a second signal exits at once)`,
    );
    timer = setTimeout(
      () =>
        abandon(
          `Shutdown did not finish within ${Math.round(timeoutMs / 1000)} s (shutdownTimeout)`,
        ),
      timeoutMs,
    );
    target.close().then(
      () => {
        clearTimeout(timer);
        logger.info('Stopped cleanly');
        logger.flush?.();
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        logger.error({ err }, 'Shutdown did not complete cleanly');
        logger.flush?.();
        exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    clearTimeout(timer);
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
