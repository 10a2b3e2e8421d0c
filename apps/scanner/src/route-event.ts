/**
 * Where each event goes (contract: ARCHITECTURE.md, "events").
 *
 *   run_completed ──▶ flow: report (parent) ◀── archive (child, ignoreDependencyOnFailure)
 *                 ──▶ alert
 *   anything else ──▶ alert
 *
 * Every job id is the event id, so adding an event twice (replay after a
 * crash, a second scanner) is ignored by BullMQ as a duplicate.
 */
import { QUEUES, type QueueName, type QueueSet, type RunwardenEvent } from '@runwarden/core';

export function queuesFor(event: RunwardenEvent): QueueName[] {
  return event.type === 'run_completed' ? [QUEUES.report, QUEUES.archive, QUEUES.alert] : [QUEUES.alert];
}

export async function enqueueEvent(queues: QueueSet, event: RunwardenEvent): Promise<void> {
  if (event.type === 'run_completed') {
    await queues.flowProducer().add({
      name: event.type,
      queueName: QUEUES.report,
      data: event,
      opts: queues.jobOptions(QUEUES.report, { jobId: event.id }),
      children: [
        {
          name: event.type,
          queueName: QUEUES.archive,
          data: event,
          // The report is written even when the archive failed for good: it says why.
          opts: queues.jobOptions(QUEUES.archive, { jobId: event.id, ignoreDependencyOnFailure: true }),
        },
      ],
    });
  }
  await queues.get(QUEUES.alert).add(event.type, event, queues.jobOptions(QUEUES.alert, { jobId: event.id }));
}

/** One human line per event: what happened, to which run. */
export function describeEvent(event: RunwardenEvent): string {
  switch (event.type) {
    case 'run_started':
      return `Run ${event.runId} started (${event.state})`;
    case 'run_completed':
      return `Run ${event.runId} completed: ${event.outcome}, ${event.stepCounts.succeeded + event.stepCounts.skipped}/${event.stepCounts.total} steps done; archive, report and alert queued`;
    case 'step_failed':
      return `Step ${event.stepName} (${event.stepId}) of run ${event.runId} failed${event.failure > 1 ? ` again (failure ${event.failure})` : ''}: ${event.error ?? 'no error text'}`;
    case 'run_stalled':
      return `Run ${event.runId} stalled: no change since ${event.lastChangeAt} (${Math.round(event.stalledForMs / 1000)} s); check the pipeline's workers`;
    case 'run_recovered':
      return `Run ${event.runId} made progress again after stall ${event.stall}`;
    case 'archival_failed':
      return `Archiving run ${event.runId} failed for good: ${event.reason}`;
  }
}
