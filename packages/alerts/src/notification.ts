/**
 * What a channel is asked to send. A notification is self-contained (it holds
 * short summaries of its events), so the delivery worker needs nothing but the
 * job's data, and a retried delivery sends exactly what the first attempt did.
 */
import { formatDuration, stepsDone, type RunwardenEvent, type Severity } from '@runwarden/core';

export type NotificationKind = 'alert' | 'digest' | 'resolved' | 'dead_letter' | 'test';

/** One event as a notification shows it. */
export interface EventSummary {
  id: string;
  type: RunwardenEvent['type'];
  runId: string;
  pipeline: string | null;
  detectedAt: string;
  /** One line, e.g. `run 42 failed (4/5 steps)`. */
  text: string;
  /** `4/5` when the event carries step counts. */
  steps?: string;
}

export interface Notification {
  /** Stable id; a delivery's id is `<id>.<channel>`. */
  id: string;
  kind: NotificationKind;
  status: 'firing' | 'resolved';
  rule: string;
  severity: Severity;
  /** The rule and its group values, e.g. `run_failure{pipeline="etl"}`. */
  groupKey: string;
  /** What a receiver deduplicates on (PagerDuty style): the same for an alert and its resolution. */
  dedupKey: string;
  /** One line; for email it follows `[SEVERITY] rule: `. */
  title: string;
  /** Summaries of the events covered; a digest keeps at most {@link MAX_LISTED_EVENTS}. */
  events: EventSummary[];
  /** Every event id covered (a digest may cover more than it lists). */
  eventIds: string[];
  eventCount: number;
  /** The throttle window a digest covers (ISO-8601). */
  window?: { start: string; end: string };
  createdAt: string;
}

/** A digest lists this many events in full; the rest are counted. */
export const MAX_LISTED_EVENTS = 50;

/** Events carry text from the pipeline (step errors, reasons): keep lines short. */
function clip(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

function notificationBody(event: RunwardenEvent): { text: string; steps?: string } {
  const run = `run ${event.runId}`;
  switch (event.type) {
    case 'run_completed': {
      const steps = stepsDone(event.stepCounts);
      return { text: `${run} ${event.outcome} (${steps} steps)`, steps };
    }
    case 'run_stalled': {
      const steps = stepsDone(event.stepCounts);
      return {
        text: `${run} stalled: nothing changed for ${formatDuration(Math.round(event.stalledForMs / 1000) * 1000)} (${steps} steps)`,
        steps,
      };
    }
    case 'step_failed':
      return {
        text: `step ${event.stepName} of ${run} failed${event.failure > 1 ? ` (failure ${event.failure})` : ''}${event.error ? `: ${clip(event.error)}` : ''}`,
      };
    case 'run_recovered':
      return { text: `${run} is making progress again after stall ${event.stall}` };
    case 'archival_failed':
      return {
        text: `archive of ${run} failed after ${event.attempts} attempt(s): ${clip(event.reason)}`,
      };
    case 'run_started':
      return { text: `${run} started (${event.state})` };
    case 'monitor_blind':
      return {
        text: `runwarden is blind: no scan of ${event.database} has succeeded for ${formatDuration(Math.round(event.blindForMs / 1000) * 1000)}: ${clip(event.reason)}`,
      };
    case 'monitor_recovered':
      return {
        text: `runwarden sees ${event.database} again after ${formatDuration(Math.round(event.blindForMs / 1000) * 1000)} blind`,
      };
  }
}

export function summarizeEvent(event: RunwardenEvent): EventSummary {
  const { text, steps } = notificationBody(event);
  return {
    id: event.id,
    type: event.type,
    runId: event.runId,
    pipeline: event.pipeline,
    detectedAt: event.detectedAt,
    text,
    ...(steps !== undefined ? { steps } : {}),
  };
}

/** `[CRITICAL] run_failure: run 42 failed (4/5 steps)`: email subjects and plain-text fallbacks. */
export function headline(n: Notification): string {
  const tag = n.status === 'resolved' ? 'RESOLVED' : n.severity.toUpperCase();
  return `[${tag}] ${n.rule}: ${n.title}`;
}

/** Run ids a notification concerns, listed then counted: `a, b, c and 7 more`. */
export function runList(n: Notification, max = 10): string {
  const ids = [...new Set(n.events.map((e) => e.runId))];
  const shown = ids.slice(0, max).join(', ');
  const more = n.eventCount - Math.min(ids.length, max);
  return more > 0 ? `${shown} and ${more} more` : shown;
}
