/**
 * The configuration schema: the validator and the TypeScript type in one.
 * Defaults live here and nowhere else. Every object is strict, so a typo in a
 * key is an error with a line and column, not a silently ignored setting.
 */
import { z } from 'zod';
import { DURATION_HINT, parseDuration } from '../duration.js';
import { EVENT_TYPES } from '../events.js';
import { DEFAULT_REDIS_URL } from '../redis-url.js';

export const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected ${DURATION_HINT}, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return ms;
});

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};
/** Bytes as people write them: `500MB`, `10GiB`, `1.5TB`, or a plain number of bytes. */
export const byteSize = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(String(value));
  if (!m || (typeof value === 'number' && !Number.isFinite(value))) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a size like 500MB, 10GB or 2TiB, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
});

/**
 * `archive.retention`: which archives and reports the periodic retention job
 * deletes (packages/archive-worker/src/retention-job.ts). Any rule deletes; none
 * touches an archive younger than `minAge`. No rule set: nothing is deleted.
 */
const keepCount = z.number().int().min(1, 'must be at least 1');
const retention = z
  .object({
    /** Delete archives older than this. */
    maxAge: duration.optional(),
    /** Keep only the newest N archives per pipeline; a map gives N per pipeline, `"*"` for the rest. */
    keepLast: z.union([keepCount, z.record(z.string(), keepCount)]).optional(),
    /** Delete the oldest archives while all of them together are larger than this. */
    maxTotalSize: byteSize.optional(),
    /** Never delete an archive younger than this, whatever the rules say. */
    minAge: duration.default(3_600_000),
    /** How often the job runs (one archive worker per interval does it). */
    interval: duration.pipe(z.number().min(1_000, 'must be at least 1s')).default(3_600_000),
  })
  .strict()
  .prefault({});

const port = z.coerce.number().int().min(0).max(65535);
const backoff = z
  .object({
    type: z.enum(['exponential', 'fixed']).default('exponential'),
    delay: duration.default(1_000),
  })
  .strict();
/**
 * How long a worker holds a job's lock without renewing it. A worker that
 * dies loses its jobs' locks after this long and they are checked for as
 * often, so another worker takes them over within about twice this.
 */
const lockDuration = duration.pipe(
  z.number().min(5_000, 'must be at least 5s: shorter locks can lapse under ordinary load'),
);
const jobOptions = (attempts: number, delay: number) =>
  z
    .object({
      attempts: z.number().int().min(1).max(100).default(attempts),
      backoff: backoff.default({ type: 'exponential', delay }),
      lockDuration: lockDuration.default(30_000),
    })
    .strict()
    .default({ attempts, backoff: { type: 'exponential', delay }, lockDuration: 30_000 });

export const runwardenConfigSchema = z
  .object({
    database: z.string().min(1).default('.state/orchestration.db'),
    redis: z
      .object({
        url: z.string().min(1).default(DEFAULT_REDIS_URL),
        /** Queue key prefix. Use a hash tag (`{runwarden}`) on Redis Cluster. */
        prefix: z.string().min(1).default('runwarden'),
      })
      .strict()
      .prefault({}),
    paths: z
      .object({
        worktrees: z.string().min(1).default('.worktrees'),
        archive: z.string().min(1).default('.archive'),
        reports: z.string().min(1).default('reports'),
      })
      .strict()
      .prefault({}),
    scanner: z
      .object({
        pollInterval: duration.default(10_000),
        stallThreshold: duration.default(30 * 60_000),
        /** How often the cheap change check (`PRAGMA data_version`) runs. */
        changeCheckInterval: duration.default(100),
        /** How long a scanner's lease lasts without renewal. */
        leaseTtl: duration.default(10_000),
        /** Create the indexes the scanner needs on the pipeline's tables. */
        createIndexes: z.boolean().default(false),
        /** No successful scan for this long raises monitor_blind and makes /readyz answer 503. */
        blindAfter: duration.default(2 * 60_000),
        /**
         * Ledger jobs each scanner takes at once; those that arrive together
         * are written in one SQLite transaction (at most this many per batch).
         */
        ledgerConcurrency: z.number().int().min(1).max(512).default(64),
      })
      .strict()
      .prefault({}),
    archive: z
      .object({
        diskSpaceFactor: z.number().min(1).default(1.5),
        /**
         * Archive jobs at once per worker. Jobs wait on fsyncs more than they
         * zip, so more jobs than zip threads: a burst of 4,000 small runs was
         * archived in 40–50 s with 4, 55–65 s with 2 (`npm run bench -- pipeline`).
         */
        concurrency: z.number().int().min(1).max(64).default(4),
        /**
         * Zip threads per archive worker, shared by its jobs. A second one made
         * a 2 GB job 1.8× faster and added about 70 MB of peak memory (zlib's
         * spent buffers, which V8 frees late); with 1 that job peaks near 155 MB.
         */
        threads: z.number().int().min(1).max(16).default(1),
        compressionLevel: z.number().int().min(0).max(9).default(6),
        removeWorktree: z.boolean().default(false),
        /**
         * A file that keeps changing while it is archived (read twice, changed
         * both times): `list` archives its last read and lists it in the
         * outcome's warnings; `fail` fails the archive job.
         */
        onChangedFile: z.enum(['list', 'fail']).default('list'),
        retention,
      })
      .strict()
      .prefault({}),
    queues: z
      .object({
        archive: jobOptions(5, 5_000),
        report: jobOptions(5, 1_000),
        alert: jobOptions(8, 2_000),
      })
      .strict()
      .prefault({}),
    report: z
      .object({
        /** Also write `<run_id>_summary.html`, a self-contained page with the step timeline. */
        html: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    board: z
      .object({
        port: port.default(3000),
        host: z.string().default('127.0.0.1'),
        basePath: z.string().startsWith('/').default('/'),
        /** Bull Board without retries, removals or edits; `--allow-edits` or false to change jobs from it. */
        readOnly: z.boolean().default(true),
        user: z.string().default(''),
        password: z.string().default(''),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z
          .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
          .default('info'),
      })
      .strict()
      .prefault({}),
    alerts: z.string().min(1).default('config/alerts.yaml'),
    /** How long SIGTERM/SIGINT may take to finish or hand back jobs before the process exits anyway. */
    shutdownTimeout: duration.default(30_000),
  })
  .strict();

export type RunwardenConfig = z.output<typeof runwardenConfigSchema>;

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Event fields a rule may match on or group by. */
export const MATCH_FIELDS = ['type', 'outcome', 'pipeline', 'runId', 'stepName', 'state'] as const;

/** What an email about a finished run carries of the run's HTML report. */
export const EMAIL_REPORT_MODES = ['attach', 'link', 'none'] as const;
export type EmailReportMode = (typeof EMAIL_REPORT_MODES)[number];

/** An absolute http(s) URL (Slack, webhooks, the board's public address). */
export function isHttpUrl(text: string): boolean {
  try {
    return /^https?:$/.test(new URL(text).protocol);
  } catch {
    return false;
  }
}

const channels = z
  .object({
    console: z
      .object({ color: z.enum(['auto', 'always', 'never']).default('auto') })
      .strict()
      .optional(),
    slack: z
      .object({
        webhookUrl: z.string().default(''),
        /** Messages per second; Slack's incoming webhooks allow about one. */
        ratePerSecond: z.number().positive().default(1),
        timeout: duration.default(10_000),
      })
      .strict()
      .optional(),
    email: z
      .object({
        host: z.string().default(''),
        port: port.default(587),
        secure: z.boolean().default(false),
        /** STARTTLS or nothing; unset means on whenever a user is set and secure is off. */
        requireTLS: z.boolean().optional(),
        user: z.string().default(''),
        pass: z.string().default(''),
        from: z.string().default(''),
        to: z.string().default(''),
        rejectUnauthorized: z.boolean().default(true),
        timeout: duration.default(10_000),
        /**
         * What an email about a finished run carries of its HTML report:
         * `attach` it when it exists at send time, `link` to the run's page on
         * the board (needs `boardUrl`), or `none`.
         */
        report: z
          .enum(EMAIL_REPORT_MODES, {
            error: (issue) =>
              `expected one of ${EMAIL_REPORT_MODES.join(', ')}, got ${JSON.stringify(issue.input)}`,
          })
          .default('attach'),
        /** The board's address as readers reach it (e.g. https://runwarden.example.com/); links go to `<boardUrl>runs/<run_id>`. */
        boardUrl: z
          .string()
          .default('')
          .refine((url) => url === '' || isHttpUrl(url), {
            error: (issue) =>
              `expected an http(s) URL such as https://runwarden.example.com/, got ${JSON.stringify(issue.input)}`,
          }),
      })
      .strict()
      .refine((email) => email.report !== 'link' || email.boardUrl !== '', {
        path: ['boardUrl'],
        error:
          "report: link needs boardUrl, the board's address as readers reach it (e.g. https://runwarden.example.com/); or use report: attach",
      })
      .optional(),
    webhook: z
      .object({
        url: z.string().default(''),
        headers: z.record(z.string(), z.string()).default({}),
        timeout: duration.default(10_000),
      })
      .strict()
      .optional(),
  })
  .strict();

export const CHANNEL_NAMES = ['console', 'slack', 'email', 'webhook'] as const;

const matchField = z.enum(MATCH_FIELDS, {
  error: (issue) =>
    `unknown match field ${JSON.stringify(issue.input)}; expected one of ${MATCH_FIELDS.join(', ')}`,
});

const rule = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a name of letters, digits, _ . -'),
    match: z
      .partialRecord(matchField, z.union([z.string(), z.number(), z.boolean()]))
      .superRefine((match, ctx) => {
        const type = match.type;
        if (type !== undefined && !(EVENT_TYPES as readonly unknown[]).includes(type)) {
          ctx.addIssue({
            code: 'custom',
            path: ['type'],
            message: `unknown event type ${JSON.stringify(type)}; expected one of ${EVENT_TYPES.join(', ')}`,
          });
        }
      }),
    severity: z.enum(SEVERITIES),
    throttle: duration.default(0),
    groupBy: z.array(matchField).default([]),
    channels: z
      .array(
        z.enum(CHANNEL_NAMES, {
          error: (issue) =>
            `unknown channel ${JSON.stringify(issue.input)}; expected one of ${CHANNEL_NAMES.join(', ')}`,
        }),
      )
      .min(1),
    /** A rule that resolves what another rule fired (e.g. run_recovered resolves run_stalled). */
    resolves: z.string().optional(),
  })
  .strict();

export const alertsConfigSchema = z
  .object({
    channels: channels.prefault({}),
    rules: z.array(rule).default([]),
  })
  .strict()
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    config.rules.forEach((r, i) => {
      if (names.has(r.name))
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'name'],
          message: `duplicate rule name ${JSON.stringify(r.name)}`,
        });
      names.add(r.name);
      if (r.resolves !== undefined && !config.rules.some((other) => other.name === r.resolves)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'resolves'],
          message: `no rule named ${JSON.stringify(r.resolves)}`,
        });
      }
    });
  });

export type AlertsConfig = z.output<typeof alertsConfigSchema>;
export type AlertRule = AlertsConfig['rules'][number];
