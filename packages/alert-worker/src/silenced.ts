/**
 * The silence check every alert worker runs before deciding on an (event,
 * rule): a covered event is recorded as `silenced` in the ledger and counted,
 * never held or sent.
 */
import { findSilence, formatMatcher, incrementStat } from '@runwarden/alerts';
import type { AlertRule, RunwardenEvent } from '@runwarden/core';
import type { AlertProcessorDeps } from './alert-processor.js';

/** Returns `silenced` when a silence covered the event (and recorded it), else undefined. */
export async function applySilences(
  deps: AlertProcessorDeps,
  rule: AlertRule,
  event: RunwardenEvent,
): Promise<'silenced' | undefined> {
  const now = deps.clock();
  const silence = await findSilence(deps.redis, deps.queues.prefix, event, rule, now);
  if (!silence) return undefined;
  const matchers = silence.matchers.map(formatMatcher).join(', ');
  deps.logger.info(
    { eventId: event.id, runId: event.runId, rule: rule.name, silence: silence.id },
    `Alert for run ${event.runId} (${event.id}) under rule ${rule.name} not sent: silenced by ${silence.id} (${matchers}) until ${silence.endsAt}${silence.comment ? `: ${silence.comment}` : ''}`,
  );
  await incrementStat(deps.redis, deps.queues.prefix, 'silenced');
  await deps.queues.recordLedger({
    kind: 'alert',
    deliveryId: `${event.id}.${rule.name}`,
    eventId: event.id,
    runId: event.runId,
    rule: rule.name,
    channel: rule.channels.join(','),
    severity: rule.severity,
    status: 'silenced',
    eventIds: [event.id],
    detail: `silenced by ${silence.id} (${matchers}) until ${silence.endsAt}`,
    at: new Date(now).toISOString(),
  });
  return 'silenced';
}
