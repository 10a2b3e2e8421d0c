/**
 * `runwarden silence add|list|expire`: Alertmanager-style silences, stored in
 * Redis and checked by every alert worker (packages/alerts/src/silences.ts).
 */
import os from 'node:os';
import {
  addSilence,
  expireSilence,
  formatMatcher,
  listSilences,
  parseMatcher,
  silenceState,
  SilenceError,
  KEEP_ENDED_MS,
  SILENCE_FIELDS,
  type Silence,
} from '@runwarden/alerts';
import { DURATION_HINT, parseDuration, RunwardenError } from '@runwarden/core/essentials';
import type { Command } from 'commander';
import { openAdmin, type Admin } from '../admin.js';
import { CliError } from '../cli-error.js';
import { loadCliConfig, type CliIo, type GlobalOptions } from '../context.js';
import { replaySilenced } from '../silence-replay.js';

interface AddFlags {
  match: string[];
  for?: string;
  until?: string;
  comment: string;
  author: string;
}

const usage = (message: string) => new RunwardenError('USAGE', message);

function endOf(flags: AddFlags, now: number): number {
  if (flags.for && flags.until) throw usage('give either --for or --until, not both');
  if (flags.until) {
    const at = Date.parse(flags.until);
    if (Number.isNaN(at)) throw usage(`--until: expected an ISO-8601 time, got "${flags.until}"`);
    return at;
  }
  const ms = parseDuration(flags.for ?? '');
  if (!ms) throw usage(`--for: expected ${DURATION_HINT}, got "${flags.for ?? ''}"`);
  return now + ms;
}

export function describeSilence(s: Silence, now: number): string {
  const state = silenceState(s, now);
  const when = state === 'expired' ? `ended ${s.endsAt}` : `until ${s.endsAt}`;
  return `${s.id}  ${state.padEnd(7)}  ${s.matchers.map(formatMatcher).join(', ')}  ${when}  by ${s.createdBy}${s.comment ? `: ${s.comment}` : ''}`;
}

export function registerSilenceCommands(
  program: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  const silence = program
    .command('silence')
    .description('add, list or expire silences: alerts they cover are recorded, not sent');
  const out = (line: string): void => void io.stdout.write(`${line}\n`);
  const withAdmin = async (fn: (admin: Admin, now: number) => Promise<void>) => {
    const admin = await openAdmin(loadCliConfig(io, program.opts<GlobalOptions>()));
    try {
      await fn(admin, Date.now());
    } catch (err) {
      if (err instanceof SilenceError) throw new CliError(err.message, 2);
      throw err;
    } finally {
      await admin.close();
    }
    done(0);
  };

  silence
    .command('add')
    .description('silence alerts whose event matches every --match, for a while')
    .requiredOption(
      '-m, --match <matcher>',
      `field=value, field!=value, field=~regex or field!~regex; fields: ${SILENCE_FIELDS.join(', ')} (repeatable)`,
      (value: string, all: string[] = []) => [...all, value],
    )
    .option('--for <duration>', `how long (${DURATION_HINT})`)
    .option('--until <time>', 'until this ISO-8601 time (instead of --for)')
    .option('--comment <text>', 'why (shown in `silence list` and the ledger)', '')
    .option('--author <name>', 'who', os.userInfo().username)
    .action((flags: AddFlags) => {
      let matchers;
      try {
        matchers = flags.match.map(parseMatcher);
      } catch (err) {
        throw usage((err as Error).message);
      }
      const endsAt = endOf(flags, Date.now());
      return withAdmin(async (admin, now) => {
        const s = await addSilence(
          admin.redis,
          admin.prefix,
          { matchers, endsAt, createdBy: flags.author, comment: flags.comment },
          now,
        );
        out(`Silence ${s.id} added: ${describeSilence(s, now)}`);
      });
    });

  silence
    .command('list')
    .description('active and pending silences (with --expired, those ended in the last 24h too)')
    .option('--expired', 'include silences that ended in the last 24h')
    .option('--json', 'print JSON')
    .action((flags: { expired?: boolean; json?: boolean }) =>
      withAdmin(async (admin, now) => {
        const all = await listSilences(
          admin.redis,
          admin.prefix,
          now,
          flags.expired ? now - KEEP_ENDED_MS : now,
        );
        if (flags.json)
          return out(
            JSON.stringify(
              all.map((s) => ({ ...s, state: silenceState(s, now) })),
              null,
              2,
            ),
          );
        out(all.length === 0 ? 'No silences.' : all.map((s) => describeSilence(s, now)).join('\n'));
      }),
    );

  silence
    .command('expire')
    .description('end a silence now; alerts it covered are not sent unless --replay')
    .argument('<id>', 'the silence id (or its first 8+ characters)')
    .option('--replay', 'send the alerts it covered now (events recorded in the ledger)')
    .action((id: string, flags: { replay?: boolean }) =>
      withAdmin(async (admin, now) => {
        const s = await expireSilence(admin.redis, admin.prefix, id, now);
        out(`Silence ${s.id} expired: ${describeSilence(s, now)}`);
        if (!flags.replay) return;
        const loaded = loadCliConfig(io, program.opts<GlobalOptions>());
        const replayed = await replaySilenced(loaded.config.database, admin, s.id);
        out(`Replayed ${replayed} silenced event(s) through the alert rules.`);
      }),
    );
}
