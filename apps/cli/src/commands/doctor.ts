/** `runwarden doctor [--json] [--send]`: checks the deployment; exit 0 all good, 1 something failing. */
import type { Command } from 'commander';
import { loadCliConfig, type CliIo, type GlobalOptions } from '../context.js';
import { formatDoctor, runDoctor } from '../doctor/run-doctor.js';

export function registerDoctorCommand(
  program: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  program
    .command('doctor')
    .description(
      'check the database, Redis, folders, channels, board and scanner lease; print a fix for each failure (exit 1 when any fails)',
    )
    .option('--json', 'print the checks as JSON')
    .option('--send', 'also send a test message through each enabled channel')
    .action(async (flags: { json?: boolean; send?: boolean }) => {
      const loaded = loadCliConfig(io, program.opts<GlobalOptions>());
      const checks = await runDoctor(loaded, { send: flags.send });
      const failed = checks.some((c) => c.status === 'fail');
      io.stdout.write(
        `${flags.json ? JSON.stringify({ ok: !failed, checks }, null, 2) : formatDoctor(checks)}\n`,
      );
      done(failed ? 1 : 0);
    });
}
