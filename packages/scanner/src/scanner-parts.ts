/**
 * What a started scanner holds besides its database: its own Redis connection,
 * the lease (scanner-lease.ts), the watchdog (blind-watch.ts) and, on every
 * scanner, leader or standby, the ledger consumer (ledger-consumer.ts).
 */
import type { Redis } from 'ioredis';
import {
  createRedisConnection,
  formatDuration,
  scannerLeaseKey,
  type EventType,
  type Logger,
  type QueueSet,
  type QueueWorker,
  type RunwardenConfig,
} from '@runwarden/core';
import type { LedgerRecorder } from '@runwarden/store';
import { createBlindWatch, type BlindWatch } from './blind-watch.js';
import { createLedgerConsumer } from './ledger-consumer.js';
import { createScannerLease, type ScannerLease } from './scanner-lease.js';

export interface ScannerParts {
  redis: Redis;
  lease: ScannerLease;
  blind: BlindWatch;
  ledger?: QueueWorker;
}

export interface ScannerPartsOptions {
  config: RunwardenConfig;
  queues: QueueSet;
  redisUrl: string;
  log: Logger;
  instanceId: string;
  alertTypes?: ReadonlySet<EventType>;
  consumeLedger: boolean;
  isClosing(): boolean;
  /** This scanner just became the lease holder. */
  onLeaseGained(): void;
  /** Writes ledger entries to the open database; throws when it is not open (the jobs are retried). */
  recorder: LedgerRecorder;
}

export function createScannerParts(o: ScannerPartsOptions): ScannerParts {
  const { config, log } = o;
  const settings = config.scanner;
  const redis = createRedisConnection(o.redisUrl, { name: 'runwarden:scanner' });
  redis.on('error', (err) =>
    log.warn({ err: err.message }, 'Redis connection problem for the scanner; retrying'),
  );
  const lease = createScannerLease({
    redis,
    key: scannerLeaseKey(o.queues.prefix),
    instanceId: o.instanceId,
    ttlMs: settings.leaseTtl,
    logger: log,
    database: { file: config.database, redisUrl: o.redisUrl, prefix: o.queues.prefix },
    onChange: (held) => {
      if (!held) {
        if (!o.isClosing())
          log.info(
            'This scanner is a standby: another holds the lease; it takes over if that one stops',
          );
        return;
      }
      o.onLeaseGained();
      log.info(
        { database: config.database },
        `This scanner holds the lease and scans ${config.database} (change check every ${formatDuration(settings.changeCheckInterval)}, full scan every ${formatDuration(settings.pollInterval)})`,
      );
    },
  });
  const ledger = o.consumeLedger
    ? createLedgerConsumer({
        redisUrl: o.redisUrl,
        queues: o.queues,
        logger: log,
        concurrency: config.scanner.ledgerConcurrency,
        recorder: o.recorder,
      })
    : undefined;
  const blind = createBlindWatch({
    queues: o.queues,
    redis,
    logger: log,
    database: config.database,
    blindAfterMs: settings.blindAfter,
    alertTypes: o.alertTypes,
  });
  return { redis, lease, blind, ledger };
}
