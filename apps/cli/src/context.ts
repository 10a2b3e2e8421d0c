/** What every command gets: where to write, the environment, and config loading. */
import {
  createLogger,
  installShutdown,
  loadConfig,
  type Closeable,
  type ShutdownOptions,
  type LoadedConfig,
  type Logger,
} from '@runwarden/core/essentials';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface GlobalOptions {
  config?: string;
  logLevel?: string;
}

export function loadCliConfig(io: CliIo, options: GlobalOptions): LoadedConfig {
  return loadConfig({ configPath: options.config, env: io.env, cwd: io.cwd });
}

export function cliLogger(loaded: LoadedConfig, options: GlobalOptions, role: string): Logger {
  return createLogger({ role, level: options.logLevel ?? loaded.config.log.level });
}

export function say(io: CliIo, line: string): void {
  io.stderr.write(`${line}\n`);
}

/** Runs until SIGINT/SIGTERM, then closes `target`; resolves with the exit status. */
export function runUntilSignal(
  target: Closeable,
  logger: Logger,
  options: ShutdownOptions = {},
): Promise<number> {
  return new Promise((resolve) => {
    const uninstall = installShutdown(
      target,
      logger,
      (code) => {
        uninstall();
        resolve(code);
      },
      options,
    );
  });
}
