/**
 * The `runwarden` command: every subcommand registered on one commander program.
 *
 * Loading is lazy: `runwarden <command>` imports only the module that defines
 * that command (and what it imports), so `--version` loads commander alone and
 * `status` does not load the board, the workers or the scanner. The container
 * healthcheck runs `status --json` every 30 s in every container.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { CliIo } from './context.js';

/** The CLI's version, from its package.json (one level above src/ and dist/ alike). */
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

type Register = (program: Command, io: CliIo, done: (code: number) => void) => void;

/** Each top-level command word → the module that registers it. */
const COMMAND_MODULES: Record<string, () => Promise<Register>> = {
  start: serve,
  scanner: serve,
  worker: serve,
  board: serve,
  status: async () => (await import('./commands/status.js')).registerStatusCommand,
  dlq: async () => (await import('./commands/dlq.js')).registerDlqCommands,
  config: async () => (await import('./commands/config-check.js')).registerConfigCommands,
  alert: async () => (await import('./commands/alert-test.js')).registerAlertCommands,
  demo: async () => (await import('./commands/demo.js')).registerDemoCommand,
  backfill: async () => (await import('./commands/backfill.js')).registerBackfillCommand,
  silence: async () => (await import('./commands/silence.js')).registerSilenceCommands,
  doctor: async () => (await import('./commands/doctor.js')).registerDoctorCommand,
};

async function serve(): Promise<Register> {
  return (await import('./commands/serve.js')).registerServeCommands;
}

/** Options that take a value, so their value is not mistaken for the command word. */
const VALUE_OPTIONS = new Set(['-c', '--config', '--log-level']);

/** The command word in argv (`status` in `--config f status --json`), if any. */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (VALUE_OPTIONS.has(token)) i++;
    else if (!token.startsWith('-')) return token;
  }
  return undefined;
}

/**
 * The program with the commands `only` names (each a top-level word), or with
 * every command when `only` is absent (help, an unknown word, the tests).
 */
export async function createProgram(
  io: CliIo,
  done: (code: number) => void,
  only?: readonly string[],
): Promise<Command> {
  const program = new Command('runwarden')
    .description(
      'Watches the runs of data and AI pipelines: detects finished, failed and stalled runs; archives, reports and alerts.',
    )
    .option(
      '-c, --config <file>',
      'runwarden.yaml to use (default: $RUNWARDEN_CONFIG or config/runwarden.yaml)',
    )
    .version(VERSION)
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  const loaders = new Set(
    (only ?? Object.keys(COMMAND_MODULES)).map((word) => COMMAND_MODULES[word]!),
  );
  // In the order of COMMAND_MODULES, so help lists the commands as before.
  for (const register of await Promise.all([...loaders].map((load) => load())))
    register(program, io, done);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Which commands to load for argv: none for `--version`, one for a known word, all otherwise. */
function commandsFor(argv: readonly string[]): readonly string[] | undefined {
  const word = commandWord(argv);
  if (word === undefined) return argv.includes('--version') || argv.includes('-V') ? [] : undefined;
  return word in COMMAND_MODULES ? [word] : undefined;
}

/** Runs the command line; resolves with the exit status (0 done, 1 failed, 2 bad usage or config). */
export function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  return new Promise((resolve) => {
    const fail = async (err: unknown) => {
      if (err instanceof CommanderError) {
        const ok =
          err.code === 'commander.helpDisplayed' ||
          err.code === 'commander.version' ||
          err.code === 'commander.help';
        resolve(ok ? 0 : 2);
        return;
      }
      const { describeFailure } = await import('./cli-error.js');
      const failure = describeFailure(err);
      io.stderr.write(`runwarden: ${failure.message}\n`);
      resolve(failure.code);
    };
    createProgram(io, resolve, commandsFor(argv))
      .then((program) =>
        program.parseAsync([...argv], { from: 'user' }).then(() => {
          if (argv.length === 0) {
            program.outputHelp();
            resolve(2);
          }
        }),
      )
      .catch(fail);
  });
}
