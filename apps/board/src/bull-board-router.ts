/**
 * Bull Board over runwarden's queues: every queue in ALL_QUEUES (the
 * dead-letter queue included), job data shown with secrets masked, and
 * read-only mode when the config asks for it.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { ALL_QUEUES, QUEUES, type QueueName } from '@runwarden/core';
import type { Queue } from 'bullmq';
import type { Router } from 'express';
import { redactJobData } from './redact-job-data.js';

export interface BullBoardRouterOptions {
  queue: (name: QueueName) => Queue;
  /** Where the board is mounted, as the browser sees it (reverse proxies). */
  basePath: string;
  /** No retries, removals, pauses or edits from the UI. */
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
    const adapter = new BullMQAdapter(options.queue(name), {
      readOnlyMode: options.readOnly,
      // Retrying a dead letter from the UI would only re-queue the copy; `runwarden dlq retry` re-enqueues the original job.
      allowRetries: !options.readOnly && name !== QUEUES.deadLetter,
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
  return serverAdapter.getRouter() as Router;
}
