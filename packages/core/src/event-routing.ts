/**
 * Where each event goes (contract: docs/ARCHITECTURE.md, "events").
 *
 *   run_completed ──▶ alert (a batch's alerts are added before its flows)
 *                 ──▶ flow: report (parent) ◀── archive (child, ignoreDependencyOnFailure)
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
  if (event.type === 'run_completed' && parts.flow !== false)
    await queues.flowProducer().add(reportFlow(queues, event));
  if (parts.alert !== false && queuesFor(event, alertTypes).includes(QUEUES.alert))
    await queues
      .get(QUEUES.alert)
      .add(event.type, alertJobData(event), alertJobOptions(queues, event));
}

/**
 * A batch of outbox events, alerts first: every alert job in one `addBulk`,
 * then every report/archive flow in one, so a burst's alerts never wait
 * behind its flows (in Redis or in the workers' queues).
 */
export async function enqueueEvents(
  queues: QueueSet,
  events: readonly RunwardenEvent[],
  alertTypes?: ReadonlySet<EventType>,
): Promise<void> {
  const alerts = events.filter((e) => queuesFor(e, alertTypes).includes(QUEUES.alert));
  if (alerts.length > 0)
    await queues.get(QUEUES.alert).addBulk(
      alerts.map((e) => ({
        name: e.type,
        data: alertJobData(e),
        opts: alertJobOptions(queues, e),
      })),
    );
  const completed = events.filter((e) => e.type === 'run_completed');
  if (completed.length > 0)
    await queues.flowProducer().addBulk(completed.map((e) => reportFlow(queues, e)));
}

const alertJobOptions = (queues: QueueSet, event: RunwardenEvent) =>
  queues.jobOptions(QUEUES.alert, { jobId: event.id });

type FlowJob = Parameters<ReturnType<QueueSet['flowProducer']>['add']>[0];

function reportFlow(queues: QueueSet, event: RunwardenEvent): FlowJob {
  return {
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
  };
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
