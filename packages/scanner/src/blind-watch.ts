/**
 * A watchdog for the watcher: when no scan has succeeded for
 * `scanner.blindAfter` (the database is missing, unreadable, locked for good,
 * replaced and unopenable), the scanner says so where people look:
 *
 *   scan failed … blindAfter passed ─▶ monitor_blind on `alert` (the rules route it)
 *                                   ─▶ status hash blindSince / blindReason (/readyz 503, /metrics)
 *                                   ─▶ one error log line
 *   next scan succeeds ─────────────▶ monitor_recovered (resolves it), status fields removed
 *
 * The events go straight to the `alert` queue (through the one routing,
 * `enqueueEvent`), not through the outbox: the outbox lives in the very
 * database that cannot be read. Their ids derive from the blind episode's
 * start, so a replay adds nothing twice.
 */
import {
  MONITOR_RUN_ID,
  enqueueEvent,
  eventIds,
  formatDuration,
  scannerStatusKey,
  type EventType,
  type Logger,
  type MonitorBlindEvent,
  type MonitorRecoveredEvent,
  type QueueSet,
} from '@runwarden/core';
import type { Redis } from 'ioredis';

export interface BlindWatchOptions {
  queues: QueueSet;
  redis: Redis;
  logger: Logger;
  database: string;
  blindAfterMs: number;
  /** Event types some alert rule can match; the events are routed like every other. */
  alertTypes?: ReadonlySet<EventType>;
  /** Real time: the watchdog measures how long scanning has failed. */
  now?: () => number;
}

export interface BlindWatch {
  /** A scan succeeded (or this scanner is a standby, which is not expected to scan). */
  succeeded(): Promise<void>;
  /** A scan (or opening the database) failed with this reason. */
  failed(reason: string): Promise<void>;
  isBlind(): boolean;
}

export function createBlindWatch(options: BlindWatchOptions): BlindWatch {
  const now = options.now ?? Date.now;
  const { logger, database } = options;
  let okAt = now();
  let blind: MonitorBlindEvent | undefined;

  async function raise(event: MonitorBlindEvent | MonitorRecoveredEvent): Promise<void> {
    await enqueueEvent(options.queues, event, options.alertTypes);
  }

  return {
    isBlind: () => blind !== undefined,
    async succeeded() {
      okAt = now();
      const was = blind;
      if (!was) return;
      blind = undefined;
      const at = now();
      const sinceMs = Date.parse(was.blindSince);
      const event: MonitorRecoveredEvent = {
        id: eventIds.monitorRecovered(sinceMs),
        type: 'monitor_recovered',
        runId: MONITOR_RUN_ID,
        pipeline: null,
        detectedAt: new Date(at).toISOString(),
        database,
        blindEventId: was.id,
        blindForMs: at - sinceMs,
      };
      logger.info(
        { eventId: event.id, blindForMs: event.blindForMs },
        `The scanner sees ${database} again after ${formatDuration(Math.round(event.blindForMs / 1000) * 1000)} blind; monitor_recovered sent`,
      );
      await options.redis.hdel(
        scannerStatusKey(options.queues.prefix),
        'blindSince',
        'blindReason',
      );
      await raise(event);
    },
    async failed(reason) {
      const at = now();
      if (blind || at - okAt < options.blindAfterMs) return;
      blind = {
        id: eventIds.monitorBlind(okAt),
        type: 'monitor_blind',
        runId: MONITOR_RUN_ID,
        pipeline: null,
        detectedAt: new Date(at).toISOString(),
        reason,
        database,
        blindSince: new Date(okAt).toISOString(),
        blindForMs: at - okAt,
      };
      logger.error(
        { eventId: blind.id, reason, blindSince: blind.blindSince },
        `runwarden is blind: no scan of ${database} has succeeded for ${formatDuration(Math.round(blind.blindForMs / 1000) * 1000)} (${reason}). Nothing is detected, archived or alerted until this is fixed; monitor_blind sent`,
      );
      try {
        await options.redis.hset(scannerStatusKey(options.queues.prefix), {
          blindSince: blind.blindSince,
          blindReason: reason,
        });
        await raise(blind);
      } catch (err) {
        // Redis is not answering either: try again at the next failed scan.
        blind = undefined;
        throw err;
      }
    },
  };
}
