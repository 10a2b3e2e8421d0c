/**
 * Turning events into notifications: one per (event, rule), one per digest,
 * one per dead-lettered delivery, and the test alert.
 */
import type { AlertRule, AlertsConfig, RunwardenEvent, Severity } from '@runwarden/core';
import {
  MAX_LISTED_EVENTS,
  summarizeEvent,
  type EventSummary,
  type Notification,
} from './notification.js';
import { groupOf, type AlertGroup } from './rules.js';
import { formatDuration } from '@runwarden/core';

/** The event a resolving event resolves (run_recovered → its run_stalled, monitor_recovered → monitor_blind). */
export function resolvedEventId(event: RunwardenEvent): string | undefined {
  if (event.type === 'monitor_recovered') return event.blindEventId;
  return event.type === 'run_recovered' ? event.stalledEventId : undefined;
}

export function alertNotification(
  alerts: AlertsConfig,
  rule: AlertRule,
  event: RunwardenEvent,
  now: number,
): Notification {
  const summary = summarizeEvent(event);
  const base = {
    id: `${event.id}.${rule.name}`,
    rule: rule.name,
    severity: rule.severity,
    events: [summary],
    eventIds: [event.id],
    eventCount: 1,
    createdAt: new Date(now).toISOString(),
  };
  const resolved = rule.resolves ? alerts.rules.find((r) => r.name === rule.resolves) : undefined;
  if (rule.resolves) {
    // Same dedupKey as the alert it resolves, so a PagerDuty-style receiver closes that incident.
    const target = resolvedEventId(event) ?? event.id;
    return {
      ...base,
      kind: 'resolved',
      status: 'resolved',
      groupKey: groupOf(resolved ?? rule, event).key,
      dedupKey: `${rule.resolves}.${target}`,
      title: summary.text,
    };
  }
  return {
    ...base,
    kind: 'alert',
    status: 'firing',
    groupKey: groupOf(rule, event).key,
    dedupKey: `${rule.name}.${event.id}`,
    title: summary.text,
  };
}

export interface DigestInput {
  id: string;
  rule: string;
  severity: Severity;
  group: AlertGroup;
  windowStart: number;
  windowEnd: number;
  events: EventSummary[];
  now: number;
}

export function digestNotification(d: DigestInput): Notification {
  const runs = new Set(d.events.map((e) => e.runId)).size;
  const span = formatDuration(Math.max(0, d.windowEnd - d.windowStart));
  return {
    id: d.id,
    kind: 'digest',
    status: 'firing',
    rule: d.rule,
    severity: d.severity,
    groupKey: d.group.key,
    dedupKey: d.id,
    title: `${d.events.length} more ${d.rule} alert(s) for ${runs} run(s) held during the ${span} window (${d.group.key})`,
    events: d.events.slice(0, MAX_LISTED_EVENTS),
    eventIds: d.events.map((e) => e.id),
    eventCount: d.events.length,
    window: {
      start: new Date(d.windowStart).toISOString(),
      end: new Date(d.windowEnd).toISOString(),
    },
    createdAt: new Date(d.now).toISOString(),
  };
}

/** Announces, on the other channels, a delivery that failed for good. */
export function deadLetterNotification(
  failed: Notification,
  channel: string,
  reason: string,
  now: number,
): Notification {
  return {
    ...failed,
    id: `dlq.${failed.id}.${channel}`,
    kind: 'dead_letter',
    status: 'firing',
    dedupKey: `dead-letter.${failed.id}.${channel}`,
    title: `could not send "${failed.title}" to ${channel} after all retries (${reason}); see \`runwarden dlq list\``,
    createdAt: new Date(now).toISOString(),
  };
}

export function testNotification(now: number): Notification {
  const at = new Date(now).toISOString();
  const event: EventSummary = {
    id: `test.${now}`,
    type: 'run_completed',
    runId: 'test-run',
    pipeline: 'runwarden-test',
    detectedAt: at,
    text: 'runwarden test alert: if you can read this, the channel works',
    steps: '0/0',
  };
  return {
    id: `test.${now}`,
    kind: 'test',
    status: 'firing',
    rule: 'test',
    severity: 'low',
    groupKey: 'test{}',
    dedupKey: `test.${now}`,
    title: event.text,
    events: [event],
    eventIds: [event.id],
    eventCount: 1,
    createdAt: at,
  };
}
