import type { RunwardenEvent } from '@runwarden/core';

/** One human line per event: what happened, to which run. */
export function eventLogLine(event: RunwardenEvent): string {
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
    case 'monitor_blind':
      return `runwarden is blind: no scan of ${event.database} has succeeded since ${event.blindSince}: ${event.reason}. Nothing is detected until this is fixed`;
    case 'monitor_recovered':
      return `runwarden sees ${event.database} again after ${Math.round(event.blindForMs / 1000)} s blind`;
  }
}
