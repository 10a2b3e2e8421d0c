/** `runwarden config check`: validates both files; touches neither Redis nor the database. */
import { describeChannels } from '@runwarden/alerts';
import { formatDuration } from '@runwarden/core/essentials';
import type { Command } from 'commander';
import { loadCliConfig, type CliIo, type GlobalOptions } from '../context.js';

export function registerConfigCommands(
  program: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  const config = program.command('config').description('work with the configuration');
  config
    .command('check')
    .description(
      'validate runwarden.yaml and alerts.yaml; exit 2 with file:line:column for each problem',
    )
    .action(() => {
      const loaded = loadCliConfig(io, program.opts<GlobalOptions>());
      const out = (line: string) => io.stdout.write(`${line}\n`);
      out(`${loaded.file}: ok`);
      out(`${loaded.alertsFile}: ok (${loaded.alerts.rules.length} rules)`);
      for (const rule of loaded.alerts.rules) {
        const throttle = rule.throttle > 0 ? `, throttle ${formatDuration(rule.throttle)}` : '';
        out(`  rule ${rule.name}: ${rule.severity}${throttle} → ${rule.channels.join(', ')}`);
      }
      for (const channel of describeChannels(loaded.alerts)) {
        out(
          `  channel ${channel.name}: ${channel.enabled ? `enabled (${channel.detail})` : channel.detail}`,
        );
      }
      done(0);
    });
}
