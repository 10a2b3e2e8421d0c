/**
 * The report worker.
 *
 *   report job (flow parent) ──▶ archive child's result, or why it failed
 *        ──▶ buildRunReport ──▶ reports/<run_id>_summary.json (atomic)
 *        ──▶ reports/<run_id>_summary.html (report.html, default on)
 *        ──▶ ledger (runwarden_reports)
 *
 * The scanner adds each run's archive job as this job's child with
 * `ignoreDependencyOnFailure`, so a report is written once the archive is
 * done, and also when the archive failed for good (with the reason).
 */
import { UnrecoverableError, type Job } from 'bullmq';
import {
  assertSafeRunId,
  createQueueWorker,
  QUEUES,
  UnsafeRunIdError,
  type ArchiveOutcome,
  type Logger,
  type QueueSet,
  type QueueWorker,
  type RunCompletedEvent,
  type RunwardenConfig,
} from '@runwarden/core';
import { buildRunReport, writeRunReport, writeRunReportHtml } from '@runwarden/report';

export interface ReportWorkerDeps {
  config: RunwardenConfig;
  logger: Logger;
  queues: QueueSet;
  redisUrl: string;
  /** @defaultValue 2 */
  concurrency?: number;
}

export interface ReportResult {
  path: string;
  outcome: string;
  archive: ArchiveOutcome['status'];
}

/** What became of the run's archive job: its result, its failure, or nothing. */
export async function archiveOutcomeOf(job: Job): Promise<ArchiveOutcome | undefined> {
  const values = Object.values(await job.getChildrenValues<ArchiveOutcome>());
  if (values[0]) return values[0];
  const failures = Object.values(await job.getIgnoredChildrenFailures());
  if (failures[0] !== undefined) return { status: 'failed', reason: failures[0] };
  return undefined;
}

export async function processReportJob(
  job: Job<RunCompletedEvent>,
  deps: ReportWorkerDeps,
): Promise<ReportResult> {
  const event = job.data;
  try {
    assertSafeRunId(event.runId);
  } catch (err) {
    if (err instanceof UnsafeRunIdError) throw new UnrecoverableError(err.message);
    throw err;
  }
  const archive = await archiveOutcomeOf(job);
  const report = buildRunReport({ event, archive });
  const file = await writeRunReport(deps.config.paths.reports, report);
  if (deps.config.report.html) await writeRunReportHtml(deps.config.paths.reports, report);
  await deps.queues.recordLedger({
    kind: 'report',
    eventId: event.id,
    runId: event.runId,
    path: file,
    outcome: event.outcome,
    at: new Date().toISOString(),
  });
  deps.logger.info(
    { runId: event.runId, path: file, outcome: event.outcome, archive: report.archive.status },
    `Report for run ${event.runId} (${event.outcome}) written to ${file}`,
  );
  return { path: file, outcome: event.outcome, archive: report.archive.status };
}

export function createReportWorker(deps: ReportWorkerDeps): QueueWorker {
  const logger = deps.logger;
  return createQueueWorker<RunCompletedEvent, ReportResult>({
    queue: QUEUES.report,
    redisUrl: deps.redisUrl,
    queues: deps.queues,
    logger,
    concurrency: deps.concurrency ?? 2,
    lockDuration: deps.config.queues.report.lockDuration,
    processor: (job) => processReportJob(job, { ...deps, logger }),
  });
}
