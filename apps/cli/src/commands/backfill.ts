/**
 * `runwarden backfill --since 7d [--pipeline X] [--no-alerts] [--dry-run] [--json]`:
 * archives and reports past runs that have none, through the same queues as
 * the scanner. Workers do the work; this command only queues it.
 */
import {
  alertableTypes,
  closeAll,
  DURATION_HINT,
  formatDuration,
  parseDuration,
  RunwardenError,
} from '@runwarden/core/essentials';
import { openOrchestrationDb, runMigrations } from '@runwarden/store';
import type { Command } from 'commander';
import { openAdmin } from '../admin.js';
import { backfillRuns, type BackfillResult } from '../backfill-runs.js';
import { loadCliConfig, type CliIo, type GlobalOptions } from '../context.js';
import { formatCount } from '../progress-bar.js';

interface BackfillFlags {
  since: string;
  pipeline?: string;
  alerts: boolean;
  dryRun?: boolean;
  json?: boolean;
}

const SHOWN = 20;

function describe(result: BackfillResult, flags: BackfillFlags, sinceMs: number): string {
  const scope = `finished in the last ${formatDuration(sinceMs)}${flags.pipeline ? ` in pipeline ${flags.pipeline}` : ''}`;
  const lines = result.runs
    .slice(0, SHOWN)
    .map(
      (r) => `  ${r.runId.padEnd(24)} ${r.outcome.padEnd(9)} ${r.finishedAt} ${r.pipeline ?? ''}`,
    );
  if (result.runs.length > SHOWN) lines.push(`  … and ${result.runs.length - SHOWN} more`);
  for (const s of result.skipped) lines.push(`  skipped ${s.runId}: ${s.reason}`);
  if (flags.dryRun)
    return [
      `Dry run: ${result.runs.length} run(s) ${scope} have no report and would be queued:`,
      ...lines,
    ].join('\n');
  const alerts = flags.alerts ? 'alert jobs added as the rules say' : 'no alerts (--no-alerts)';
  return [
    `Backfill: ${result.queued} run(s) ${scope} queued for archive and report; ${alerts}.`,
    ...(result.alreadyQueued > 0
      ? [`  ${result.alreadyQueued} already had jobs in Redis and were left alone.`]
      : []),
    ...lines,
    result.queued > 0 ? 'Workers do the work; follow it with `runwarden status`.' : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function registerBackfillCommand(
  program: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  program
    .command('backfill')
    .description('archive and report past runs that finished without them, through the queues')
    .requiredOption('--since <duration>', `how far back to look (${DURATION_HINT}), e.g. 7d`)
    .option('--pipeline <name>', 'only runs of this pipeline')
    .option('--no-alerts', 'queue archive and report only, no alert jobs')
    .option('--dry-run', 'list the runs that would be queued; change nothing')
    .option('--json', 'print the result as JSON')
    .action(async (flags: BackfillFlags) => {
      const sinceMs = parseDuration(flags.since);
      if (sinceMs === undefined || sinceMs === 0)
        throw new RunwardenError(
          'USAGE',
          `--since: expected ${DURATION_HINT}, got "${flags.since}"`,
        );
      const loaded = loadCliConfig(io, program.opts<GlobalOptions>());
      const db = openOrchestrationDb(loaded.config.database, { busyTimeoutMs: 5_000 });
      const admin = await openAdmin(loaded).catch((err: unknown) => {
        db.close();
        throw err;
      });
      const tty = Boolean((io.stderr as { isTTY?: boolean }).isTTY);
      let lastTenth = 0;
      try {
        if (!flags.dryRun) runMigrations(db);
        const result = await backfillRuns(
          {
            db,
            queues: admin.queues,
            alertTypes: alertableTypes(loaded.alerts),
            onProgress: (d, total) => {
              // A bar redrawn in place on a terminal; a line per tenth elsewhere (logs, CI).
              if (tty)
                return void io.stderr.write(`\r${formatCount({ done: d, total }, 'runs', true)}`);
              const tenth = Math.floor((d * 10) / total);
              if (tenth > lastTenth)
                io.stderr.write(`backfill: ${formatCount({ done: d, total }, 'runs', false)}\n`);
              lastTenth = tenth;
            },
          },
          {
            sinceMs,
            pipeline: flags.pipeline,
            alerts: flags.alerts,
            dryRun: flags.dryRun,
          },
        ).catch((err: unknown) => {
          if (/no such table: runwarden_/.test(String(err)))
            throw new RunwardenError(
              'USAGE',
              `runwarden has not recorded anything in ${loaded.config.database} yet, so there is nothing to compare with: run backfill without --dry-run, or start the scanner once.`,
            );
          throw err;
        });
        if (tty && result.queued + result.alreadyQueued > 0) io.stderr.write('\n');
        io.stdout.write(
          `${flags.json ? JSON.stringify(result, null, 2) : describe(result, flags, sinceMs)}\n`,
        );
      } finally {
        await closeAll([() => admin.close(), () => db.close()], 'backfill close');
      }
      done(0);
    });
}
