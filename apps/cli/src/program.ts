/** The `runwarden` command: every subcommand registered on one commander program. */
import { Command, CommanderError } from 'commander';
import { describeFailure } from './cli-error.js';
import { registerAlertCommands } from './commands/alert-test.js';
import { registerBackfillCommand } from './commands/backfill.js';
import { registerConfigCommands } from './commands/config-check.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerDlqCommands } from './commands/dlq.js';
import { registerServeCommands } from './commands/serve.js';
import { registerSilenceCommands } from './commands/silence.js';
import { registerStatusCommand } from './commands/status.js';
import type { CliIo } from './context.js';

/** The version of this checkout's CLI. */
const VERSION = '0.1.0';

export function createProgram(io: CliIo, done: (code: number) => void): Command {
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
  registerServeCommands(program, io, done);
  registerStatusCommand(program, io, done);
  registerDlqCommands(program, io, done);
  registerConfigCommands(program, io, done);
  registerAlertCommands(program, io, done);
  registerDemoCommand(program, io, done);
  registerBackfillCommand(program, io, done);
  registerSilenceCommands(program, io, done);
  registerDoctorCommand(program, io, done);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Runs the command line; resolves with the exit status (0 done, 1 failed, 2 bad usage or config). */
export function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  return new Promise((resolve) => {
    const program = createProgram(io, resolve);
    program.parseAsync([...argv], { from: 'user' }).then(
      () => {
        if (argv.length === 0) {
          program.outputHelp();
          resolve(2);
        }
      },
      (err: unknown) => {
        if (err instanceof CommanderError) {
          const ok =
            err.code === 'commander.helpDisplayed' ||
            err.code === 'commander.version' ||
            err.code === 'commander.help';
          resolve(ok ? 0 : 2);
          return;
        }
        const failure = describeFailure(err);
        io.stderr.write(`runwarden: ${failure.message}\n`);
        resolve(failure.code);
      },
    );
  });
}
