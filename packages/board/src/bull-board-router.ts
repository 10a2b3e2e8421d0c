/**
 * Bull Board over runwarden's queues: every queue in ALL_QUEUES (the
 * dead-letter queue included), job data shown with secrets masked, and
 * read-only mode unless the config allows edits. The dead-letter queue is
 * read-only either way: it is the record of what failed for good, and
 * `runwarden dlq retry|purge` is the way to act on it.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { ALL_QUEUES, QUEUES, type QueueName } from '@runwarden/core';
import type { Queue } from 'bullmq';
import type { Express, Router } from 'express';
import { redactJobData } from './redact-job-data.js';

export interface BullBoardRouterOptions {
  queue: (name: QueueName) => Queue;
  /** Where the board is mounted, as the browser sees it (reverse proxies). */
  basePath: string;
  /** No retries, removals, pauses, cleans or edits from the UI (Bull Board refuses them in its API too). */
  readOnly: boolean;
}

const DESCRIPTIONS: Record<QueueName, string> = {
  archive: 'Zips a finished run folder into the archive',
  report: 'Writes reports/<run_id>_summary.json',
  alert: 'Matches events against alert rules',
  delivery: 'Sends notifications to channels',
  ledger: 'Worker results for the scanner to record',
  'dead-letter': 'Jobs that failed for good; retry or purge with `runwarden dlq`',
};

export function createBullBoardRouter(options: BullBoardRouterOptions): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(options.basePath === '/' ? '' : options.basePath);
  const adapters = ALL_QUEUES.map((name) => {
    // Retrying a dead letter from the UI would only re-queue the copy; `runwarden dlq retry` re-enqueues the original job.
    const readOnly = options.readOnly || name === QUEUES.deadLetter;
    const adapter = new BullMQAdapter(options.queue(name), {
      readOnlyMode: readOnly,
      allowRetries: !readOnly,
      description: DESCRIPTIONS[name] ?? '',
    });
    adapter.setFormatter('data', (data: unknown) => redactJobData(data));
    adapter.setFormatter('returnValue', (value: unknown) => redactJobData(value));
    return adapter;
  });
  createBullBoard({
    queues: adapters,
    serverAdapter,
    options: { uiConfig: { boardTitle: 'runwarden', hideDocsLink: true } },
  });
  // The adapter's router is an Express app of its own, which would announce itself in X-Powered-By.
  const router = serverAdapter.getRouter() as Express;
  router.disable('x-powered-by');
  return router as unknown as Router;
}
