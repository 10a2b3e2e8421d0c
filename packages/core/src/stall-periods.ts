/**
 * When a run stood still: each `run_stalled` (its `lastChangeAt`, the last
 * change the scanner saw) up to the `run_recovered` of the same stall number
 * (its `changedAt`, when the rows changed again), or open (`to: null`) when no
 * recovery was recorded. Read by the report (from the run_completed event) and
 * the board's run page (from runwarden_events), so both shade the same span.
 */
import type { RunwardenEvent } from './events.js';

export interface StallPeriod {
  /** 1 for the run's first stall, 2 for the next, … */
  stall: number;
  /** ISO-8601: the last change before the stall. */
  from: string;
  /** ISO-8601: when the run changed again; null when no recovery was seen. */
  to: string | null;
}

/** Stall periods of one run's events, in stall order; events of other types are ignored. */
export function stallPeriods(events: readonly RunwardenEvent[]): StallPeriod[] {
  const periods = new Map<number, StallPeriod>();
  for (const e of events)
    if (e.type === 'run_stalled' && !periods.has(e.stall))
      periods.set(e.stall, { stall: e.stall, from: e.lastChangeAt, to: null });
  for (const e of events) {
    if (e.type !== 'run_recovered') continue;
    const period = periods.get(e.stall);
    if (period) period.to = e.changedAt ?? e.detectedAt;
  }
  return [...periods.values()].sort((a, b) => a.stall - b.stall);
}
