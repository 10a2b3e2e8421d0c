/**
 * When the scanner scans, and what a failed scan does:
 *
 *   every changeCheckInterval: leader? ─▶ PRAGMA data_version changed, or
 *        pollInterval passed (stalls need time, not changes)? ─▶ scan ─▶ succeeded()
 *   a scan that threw ─▶ failed(reason) (the watchdog) ─▶ retried: a locked
 *        database is waited out, logged once per episode; any other error is
 *        logged when it changes, or once a minute
 *
 * Scans never overlap: the loop's and `scanNow`'s go through one chain.
 */
import type { Logger } from '@runwarden/core';

export interface ScanLoopOptions<T> {
  log: Logger;
  /** The database's path, for messages. */
  database: string;
  changeCheckIntervalMs: number;
  pollIntervalMs: number;
  isLeader(): boolean;
  /** The database's `PRAGMA data_version`; may throw like a scan. */
  dataVersion(): number;
  scan(): Promise<T>;
  /** A check found nothing wrong (a scan, or none needed, succeeded). */
  succeeded(): Promise<void>;
  /** A check failed with this reason. */
  failed(reason: string): Promise<void>;
}

export interface ScanLoop<T> {
  start(): void;
  /** Scan at the next check whatever `data_version` says (lease gained, file reopened, replica behind). */
  forceScan(): void;
  /** A scan now, after the one in progress. */
  scanNow(): Promise<T>;
  /** No check after this one; resolves when the scan in progress ends. */
  stop(): Promise<void>;
}

const isBusy = (err: unknown) =>
  /^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: string }).code ?? ''));

export function createScanLoop<T>(o: ScanLoopOptions<T>): ScanLoop<T> {
  const { log } = o;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let lastDataVersion: number | undefined;
  let nextFullScanAt = 0;
  let busySince: number | undefined;
  let lastError: { text: string; at: number } | undefined;

  function scanNow(): Promise<T> {
    const next = chain.then(o.scan);
    chain = next.catch(() => undefined);
    return next;
  }

  function schedule(ms: number): void {
    if (!stopped) timer = setTimeout(() => void tick(), ms);
  }

  /** The delay before the next check, after a failed one. */
  function failedCheck(err: unknown): number {
    lastDataVersion = undefined;
    const text = (err as Error).message;
    if (!isBusy(err)) {
      if (lastError?.text !== text || Date.now() - lastError.at >= 60_000) {
        lastError = { text, at: Date.now() };
        log.error({ err: text }, `Scan failed: ${text}; retrying every second`);
      }
      return 1_000;
    }
    if (busySince === undefined) {
      busySince = Date.now();
      log.warn(
        'The orchestration database is locked by another writer (a long transaction?); the scanner waits and catches up when it is released',
      );
    }
    return Math.min(1_000, o.changeCheckIntervalMs * 2);
  }

  function scanned(): void {
    if (busySince !== undefined)
      log.info(
        { waitedMs: Date.now() - busySince },
        'The orchestration database is writable again; the scanner caught up',
      );
    busySince = undefined;
    if (lastError) log.info(`Scanning ${o.database} works again`);
    lastError = undefined;
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    let delay = o.changeCheckIntervalMs;
    try {
      if (o.isLeader()) {
        const version = o.dataVersion();
        if (version !== lastDataVersion || Date.now() >= nextFullScanAt) {
          lastDataVersion = version;
          nextFullScanAt = Date.now() + o.pollIntervalMs;
          await scanNow();
          scanned();
        }
      }
      // A check without a scan means the last scan succeeded (a failure forces the next scan).
      await o.succeeded();
    } catch (err) {
      delay = failedCheck(err);
      await o
        .failed((err as Error).message)
        .catch((e: Error) =>
          log.warn({ err: e.message }, `Could not raise monitor_blind: ${e.message}`),
        );
    }
    schedule(delay);
  }

  return {
    start: () => schedule(0),
    forceScan() {
      lastDataVersion = undefined;
      nextFullScanAt = 0;
    },
    scanNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await chain;
    },
  };
}
