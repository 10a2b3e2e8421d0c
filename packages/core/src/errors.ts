/**
 * The few named errors runwarden raises. Each has a closed `code`, so callers
 * and tests branch on codes, never on message text.
 */
export type RunwardenErrorCode =
  | 'CONFIG_INVALID'
  | 'UNSAFE_RUN_ID'
  | 'DATABASE_MISSING'
  | 'DATABASE_INVALID'
  | 'DATABASE_BUSY'
  | 'REDIS_UNAVAILABLE'
  | 'DISK_SPACE'
  | 'ARCHIVE_VERIFY'
  | 'ARCHIVE_SOURCE_CHANGED'
  | 'CHANNEL_FAILED'
  | 'USAGE';

export class RunwardenError extends Error {
  override name = 'RunwardenError';
  readonly code: RunwardenErrorCode;

  constructor(code: RunwardenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Where in a config file something is wrong. Lines and columns count from 1. */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted key path, e.g. `scanner.pollInterval` or `rules[2].channels[0]`. */
  readonly key: string;
  readonly message: string;
}

export class ConfigError extends RunwardenError {
  override name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('CONFIG_INVALID', issues.map(formatConfigIssue).join('\n'));
    this.issues = issues;
  }
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.key ? `${where}: ${issue.key}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** A run id that could escape the worktree/archive/report folders. */
export class UnsafeRunIdError extends RunwardenError {
  override name = 'UnsafeRunIdError';
  readonly runId: string;

  constructor(runId: string, reason: string) {
    super(
      'UNSAFE_RUN_ID',
      `unsafe run id ${JSON.stringify(runId)}: ${reason}; it is not archived or reported. Fix the run id in the pipeline's runs table.`,
    );
    this.runId = runId;
  }
}

/** Turns anything thrown into an Error, at a boundary, without losing what it said. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
}
