/**
 * Rule matching: equality on a few event fields. An event may match several
 * rules; an event that matches none is reported by the caller, never dropped.
 */
import { createHash } from 'node:crypto';
import type { AlertRule, AlertsConfig, RunwardenEvent } from '@runwarden/core';

export type MatchField = keyof AlertRule['match'];

/** The value a matcher or `groupBy` sees for a field; `null` when the event has none. */
export function eventField(
  event: RunwardenEvent,
  field: MatchField,
): string | number | boolean | null {
  const value = (event as unknown as Record<string, unknown>)[field];
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  return null;
}

export function ruleMatches(rule: AlertRule, event: RunwardenEvent): boolean {
  for (const [field, expected] of Object.entries(rule.match) as [
    MatchField,
    string | number | boolean,
  ][]) {
    // YAML may give `outcome: failed` as a string and a number field as a number: compare as text.
    const actual = eventField(event, field);
    if (actual === null || String(actual) !== String(expected)) return false;
  }
  return true;
}

export function matchRules(alerts: AlertsConfig, event: RunwardenEvent): AlertRule[] {
  return alerts.rules.filter((rule) => ruleMatches(rule, event));
}

export interface AlertGroup {
  /** `run_failure{pipeline="etl"}` — readable, shown to people and sent to webhooks. */
  key: string;
  /** A short hash of `key`: safe inside Redis keys and BullMQ job ids (no `:`). */
  hash: string;
}

export function groupOf(rule: AlertRule, event: RunwardenEvent): AlertGroup {
  const labels = rule.groupBy.map(
    (field) => `${field}=${JSON.stringify(eventField(event, field) ?? '')}`,
  );
  const key = `${rule.name}{${labels.join(',')}}`;
  return { key, hash: createHash('sha256').update(key).digest('hex').slice(0, 16) };
}
