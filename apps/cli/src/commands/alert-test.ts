/** `runwarden alert test [--channel X]`: a test alert through the configured channels. */
import { sendTestAlert } from '@runwarden/alerts';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { cliLogger, loadCliConfig, type CliIo, type GlobalOptions } from '../context.js';

export function registerAlertCommands(
  program: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  const alert = program.command('alert').description('work with alert channels');
  alert
    .command('test')
    .description(
      'send a test alert through each configured channel and report success or the exact error',
    )
    .option('--channel <name>', 'only this channel (console, slack, email, webhook)')
    .action(async (opts: { channel?: string }) => {
      const globals = program.opts<GlobalOptions>();
      const loaded = loadCliConfig(io, globals);
      const known = ['console', 'slack', 'email', 'webhook'];
      if (opts.channel && !known.includes(opts.channel))
        throw new CliError(`unknown channel ${opts.channel}: choose from ${known.join(', ')}`, 2);
      const results = await sendTestAlert(loaded.alerts, {
        channel: opts.channel,
        logger: cliLogger(loaded, globals, 'alert-test'),
        consoleOut: io.stdout,
      });
      for (const r of results)
        io.stdout.write(`${r.ok ? 'ok    ' : 'FAILED'} ${r.channel}: ${r.detail}\n`);
      done(results.some((r) => !r.ok) ? 1 : 0);
    });
}
