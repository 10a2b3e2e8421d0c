/**
 * `runwarden dlq list|retry|purge [--queue q] [--id id]`: the jobs that
 * failed for good. `retry` puts the original job back on its queue with its
 * attempts reset, then removes the dead letter.
 */
import type { Job } from 'bullmq';
import { QUEUES, showControlChars, type DeadLetter, type QueueName } from '@runwarden/core';
import type { Command } from 'commander';
import { openAdmin, type Admin } from '../admin.js';
import { CliError } from '../cli-error.js';
import { loadCliConfig, type CliIo, type GlobalOptions } from '../context.js';

interface DlqOptions {
  queue?: string;
  id?: string;
  json?: boolean;
}

async function findLetters(admin: Admin, opts: DlqOptions): Promise<Job<DeadLetter>[]> {
  const jobs = (await admin.queues
    .get(QUEUES.deadLetter)
    .getJobs(['waiting', 'prioritized', 'delayed'], 0, -1, true)) as Job<DeadLetter>[];
  return jobs.filter(
    (j) =>
      j &&
      (!opts.queue || j.data.queue === opts.queue) &&
      (!opts.id || j.id === opts.id || j.data.jobId === opts.id),
  );
}

/** Ids and reasons carry the pipeline's text: its control characters are shown, not obeyed. */
function describeLetter(job: Job<DeadLetter>): string {
  const d = job.data;
  const runId = (d.data as { runId?: unknown } | null)?.runId;
  const fields = [
    job.id ?? '',
    `queue=${d.queue}`,
    `job=${d.jobId}`,
    ...(runId ? [`run=${String(runId)}`] : []),
    `attempts=${d.attemptsMade}`,
    `at=${d.failedAt}`,
  ];
  return `${showControlChars(fields.join('  '))}\n    ${showControlChars(String(d.failedReason))}`;
}

async function retryLetter(admin: Admin, letter: Job<DeadLetter>): Promise<string> {
  const d = letter.data;
  const queue = admin.queues.get(d.queue as QueueName);
  const original = await queue.getJob(d.jobId);
  if (original && (await original.getState()) === 'failed') {
    await original.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  } else if (original) {
    return showControlChars(
      `${letter.id}: original job ${d.jobId} is ${await original.getState()}, left as it is`,
    );
  } else {
    await queue.add(
      d.name,
      d.data,
      admin.queues.jobOptions(d.queue as QueueName, { jobId: d.jobId }),
    );
  }
  await letter.remove();
  return showControlChars(`${letter.id}: job ${d.jobId} is back on queue ${d.queue}`);
}

export function registerDlqCommands(
  program: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  const dlq = program.command('dlq').description('list, retry or purge jobs that failed for good');
  const withAdmin = async (
    opts: DlqOptions,
    fn: (admin: Admin, letters: Job<DeadLetter>[]) => Promise<void>,
  ) => {
    const admin = await openAdmin(loadCliConfig(io, program.opts<GlobalOptions>()), io.env);
    try {
      await fn(admin, await findLetters(admin, opts));
    } finally {
      await admin.close();
    }
    done(0);
  };
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const filters = (cmd: Command) =>
    cmd
      .option('--queue <queue>', 'only dead letters from this queue')
      .option('--id <id>', 'only this dead letter (or original job id)');

  filters(
    dlq.command('list').description('list dead letters').option('--json', 'print JSON'),
  ).action((opts: DlqOptions) =>
    withAdmin(opts, async (_admin, letters) => {
      if (opts.json)
        out(
          JSON.stringify(
            letters.map((l) => ({ id: l.id, ...l.data })),
            null,
            2,
          ),
        );
      else out(letters.length === 0 ? 'No dead letters.' : letters.map(describeLetter).join('\n'));
    }),
  );
  filters(dlq.command('retry').description('put dead letters back on their queues')).action(
    (opts: DlqOptions) =>
      withAdmin(opts, async (admin, letters) => {
        if (letters.length === 0)
          throw new CliError(
            showControlChars(
              `No dead letters match${opts.queue ? ` queue ${opts.queue}` : ''}${opts.id ? ` id ${opts.id}` : ''}.`,
            ),
          );
        for (const letter of letters) out(await retryLetter(admin, letter));
      }),
  );
  filters(dlq.command('purge').description('delete dead letters')).action((opts: DlqOptions) =>
    withAdmin(opts, async (_admin, letters) => {
      for (const letter of letters) await letter.remove();
      out(`Purged ${letters.length} dead letter(s).`);
    }),
  );
}
