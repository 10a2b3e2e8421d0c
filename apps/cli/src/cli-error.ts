/**
 * How a command ends: exit status 0 done, 1 failed at run time, 2 bad usage
 * or bad configuration (contract). Commands throw CliError; main prints the
 * message once and exits with its status.
 */
import { ConfigError, RunwardenError } from '@runwarden/core/essentials';

export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: 1 | 2;

  constructor(message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Exit status and the message to print for anything a command threw. */
export function describeFailure(err: unknown): { code: 1 | 2; message: string } {
  if (err instanceof CliError) return { code: err.exitCode, message: err.message };
  if (err instanceof ConfigError)
    return { code: 2, message: `Configuration is invalid:\n${err.message}` };
  if (err instanceof RunwardenError)
    return { code: err.code === 'USAGE' ? 2 : 1, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 1, message };
}
