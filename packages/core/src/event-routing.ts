/**
 * Where each event goes (contract: docs/ARCHITECTURE.md, "events").
 *
 *   run_completed ──▶ flow: report (parent) ◀── archive (child, ignoreDependencyOnFailure)
 *                 ──▶ alert
 *   anything else ──▶ alert (when some alert rule can match its type)
 *
 * Every job id is the event id, so adding an event twice (replay after a
 * crash, a second scanner) is ignored by BullMQ as a duplicate. Every producer
 * uses it: the scanner's outbox, its reconcile and watchdog, the archive
 * worker (archival_failed) and `runwarden backfill`.
 */
import type { AlertsConfig } from './config/schema.js';
import { EVENT_TYPES, type EventType, type RunwardenEvent } from './events.js';
import type { QueueSet } from './queue-set.js';
import { QUEUES, type QueueName } from './queues.js';

/**
 * The event types some alert rule can match: a rule without a `type` matcher
 * can match any. Events of other types need no alert job (the architecture
 * routes `run_started` nowhere by default); they are still in the outbox.
 */
export function alertableTypes(alerts: AlertsConfig): ReadonlySet<EventType> {
  const types = new Set<EventType>();
  for (const rule of alerts.rules) {
    if (rule.match.type === undefined) return new Set(EVENT_TYPES);
    types.add(rule.match.type as EventType);
  }
  return types;
}

export function queuesFor(event: RunwardenEvent, alertTypes?: ReadonlySet<EventType>): QueueName[] {
  const alert = !alertTypes || alertTypes.has(event.type) ? [QUEUES.alert] : [];
  return event.type === 'run_completed' ? [QUEUES.report, QUEUES.archive, ...alert] : alert;
}

/** Which of an event's jobs to add: both by default; a reconcile adds only what is missing. */
export interface EnqueueParts {
  flow?: boolean;
  alert?: boolean;
}

export async function enqueueEvent(
  queues: QueueSet,
  event: RunwardenEvent,
  alertTypes?: ReadonlySet<EventType>,
  parts: EnqueueParts = {},
): Promise<void> {
  if (event.type === 'run_completed' && parts.flow !== false) {
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
          opts: queues.jobOptions(QUEUES.archive, {
            jobId: event.id,
            ignoreDependencyOnFailure: true,
          }),
        },
      ],
    });
  }
  if (parts.alert !== false && queuesFor(event, alertTypes).includes(QUEUES.alert)) {
    await queues
      .get(QUEUES.alert)
      .add(event.type, alertJobData(event), queues.jobOptions(QUEUES.alert, { jobId: event.id }));
  }
}

/**
 * The alert worker needs counts and ids, not the step list: the alert job of
 * a run_completed carries the run without its steps (all counted in `omittedSteps`).
 */
export function alertJobData(event: RunwardenEvent): RunwardenEvent {
  if (event.type !== 'run_completed') return event;
  const { steps, ...run } = event.run;
  return {
    ...event,
    run: { ...run, steps: [], omittedSteps: steps.length + (run.omittedSteps ?? 0) },
  };
}
