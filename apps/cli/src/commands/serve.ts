/**
 * The long-running commands: `start` (everything in one process), `scanner`,
 * `worker <role>…` and `board`.
 */
import { describeJobsInHand, redisHealth, routeConsoleToLogger } from '@runwarden/core';
import { Argument, type Command } from 'commander';
import {
  cliLogger,
  loadCliConfig,
  runUntilSignal,
  say,
  type CliIo,
  type GlobalOptions,
} from '../context.js';
import { checkConfiguredRedis, resolveRedis } from '../redis-bootstrap.js';
import { WORKER_ROLES, type Role } from '../roles.js';

interface ServeOptions {
  roles: Role[];
  /** Start a private Redis when none answers (start only). */
  bootstrapRedis: boolean;
  boardOpen?: boolean;
  /** `--allow-edits`: the board may change jobs (overrides board.readOnly). */
  boardEdits?: boolean;
  /** Leave the board out, saying so, when it has no credentials. */
  boardOptional?: boolean;
}

async function serve(
  io: CliIo,
  globals: GlobalOptions,
  options: ServeOptions,
  role: string,
): Promise<number> {
  const loaded = loadCliConfig(io, globals);
  const logger = cliLogger(loaded, globals, role);
  const { config } = loaded;
  if (options.boardEdits) config.board.readOnly = false;
  let roles = options.roles;
  if (
    options.boardOptional &&
    roles.includes('board') &&
    !options.boardOpen &&
    !(config.board.user && config.board.password)
  ) {
    roles = roles.filter((r) => r !== 'board');
    say(
      io,
      'Running without the board: set BOARD_USER and BOARD_PASSWORD (or pass --open to serve it without login) to get Bull Board, /metrics and /healthz.',
    );
  }
  routeConsoleToLogger(logger);
  redisHealth.useLogger(logger);
  const where = {
    url: config.redis.url,
    prefix: config.redis.prefix,
    env: io.env,
    logger,
    configFile: loaded.file,
  };
  const redis = options.bootstrapRedis
    ? await resolveRedis({ ...where, say: (l) => say(io, l), persistent: true })
    : await checkConfiguredRedis(where).then(() => ({
        url: config.redis.url,
        private: false,
        stop: async () => undefined,
      }));
  // Loaded on demand, so `config check` and `status` start fast.
  const { startRuntime } = await import('../runtime.js');
  const runtime = await startRuntime({
    config,
    alerts: loaded.alerts,
    redisUrl: redis.url,
    logger,
    roles,
    boardOpen: options.boardOpen,
  }).catch(async (err) => {
    await redis.stop();
    throw err;
  });
  logger.info({ roles, config: loaded.file }, `runwarden running: ${roles.join(', ')}`);
  say(
    io,
    `runwarden is running (${roles.join(', ')}) with ${loaded.file}${runtime.boardUrl ? `; board at ${runtime.boardUrl}` : ''}. Press Ctrl+C to stop.`,
  );
  let closing: Promise<void> | undefined;
  const target = {
    close: () =>
      (closing ??= (async () => {
        await runtime.close();
        await redis.stop();
      })()),
  };
  // A scanner that waited for its database and then could not start ends the process.
  const failed = runtime.failed.catch(async (err: Error) => {
    logger.fatal({ err: err.message }, `${role} could not start: ${err.message}`);
    say(io, `runwarden: ${err.message}`);
    await target.close().catch(() => undefined);
    return 1;
  });
  return Promise.race([
    runUntilSignal(target, logger, {
      timeoutMs: config.shutdownTimeout,
      inHand: describeJobsInHand,
    }),
    failed,
  ]);
}

export function registerServeCommands(
  program: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  const globals = () => program.opts<GlobalOptions>();
  program
    .command('start')
    .description(
      'run the scanner, every worker and the board in one process (the default for one machine)',
    )
    .option('--no-board', 'leave the board out')
    .option('--open', 'serve the board without login (only behind another access control)')
    .option('--allow-edits', 'let the board retry, remove and edit jobs (board.readOnly: false)')
    .action(async (opts: { board: boolean; open?: boolean; allowEdits?: boolean }) => {
      const roles: Role[] = [
        'scanner',
        ...WORKER_ROLES,
        ...(opts.board ? (['board'] as const) : []),
      ];
      done(
        await serve(
          io,
          globals(),
          {
            roles,
            bootstrapRedis: true,
            boardOpen: opts.open,
            boardEdits: opts.allowEdits,
            boardOptional: true,
          },
          'runwarden',
        ),
      );
    });
  program
    .command('scanner')
    .description(
      'run a scanner: polls the orchestration database and enqueues events (several may run; a lease picks one)',
    )
    .action(async () =>
      done(await serve(io, globals(), { roles: ['scanner'], bootstrapRedis: false }, 'scanner')),
    );
  program
    .command('worker')
    .description('run workers for one or more roles: archive, report, alert')
    .addArgument(new Argument('<roles...>', 'archive | report | alert').choices(WORKER_ROLES))
    .action(async (roles: string[]) => {
      done(
        await serve(
          io,
          globals(),
          { roles: [...new Set(roles)] as Role[], bootstrapRedis: false },
          `${roles.join('+')}-worker`,
        ),
      );
    });
  program
    .command('board')
    .description(
      'serve Bull Board, the runs view (<basePath>/runs: recent runs, step timelines, archives and reports; the database read-only), silences, /healthz, /readyz and /metrics',
    )
    .option('--open', 'serve without login (only behind another access control)')
    .option('--allow-edits', 'let the board retry, remove and edit jobs (board.readOnly: false)')
    .action(async (opts: { open?: boolean; allowEdits?: boolean }) =>
      done(
        await serve(
          io,
          globals(),
          {
            roles: ['board'],
            bootstrapRedis: false,
            boardOpen: opts.open,
            boardEdits: opts.allowEdits,
          },
          'board',
        ),
      ),
    );
}
