/**
 * Structured logs (pino, JSON lines). Secrets are redacted by key wherever
 * they appear, so passing a config object or job data to a log call is safe.
 */
import { createRequire } from 'node:module';
import type * as PinoModule from 'pino';
import type { Logger, DestinationStream } from 'pino';

// pino is loaded on the first createLogger, not on import: the short commands
// (`status`, the container healthcheck) import core but often log nothing.
type Pino = typeof PinoModule;
let loaded: Pino | undefined;
const loadPino = () => (loaded ??= createRequire(import.meta.url)('pino') as Pino);

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'password',
  'pass',
  'webhookUrl',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.pass',
  '*.webhookUrl',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.*.password',
  '*.*.pass',
  '*.*.webhookUrl',
  'headers.authorization',
  'config.channels.webhook.url',
  'channels.webhook.url',
  'channels.webhook.headers',
];

export interface LoggerOptions {
  level?: string;
  /** Role name added to every line, e.g. `scanner`, `archive-worker`. */
  role?: string;
  /** Where lines go. @defaultValue standard error, so stdout stays for command output. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const { pino } = loadPino();
  return pino(
    {
      level: options.level || process.env.LOG_LEVEL || 'info',
      base: options.role ? { role: options.role, pid: process.pid } : { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
