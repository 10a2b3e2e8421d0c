/**
 * `silence expire --replay`: the events a silence covered go back on the
 * `alert` queue under a job id of their own (`<eventId>.unsilenced.<silence>`),
 * so the rules decide again now that the silence has ended. Rules that sent
 * for the event before find their stored decision and "sent" marks, so
 * nothing is sent twice.
 */
import { QUEUES } from '@runwarden/core/essentials';
import { openOrchestrationDb, silencedEvents } from '@runwarden/store';
import type { Admin } from './admin.js';

export async function replaySilenced(
  database: string,
  admin: Admin,
  silenceId: string,
): Promise<number> {
  const db = openOrchestrationDb(database, { readonly: true, busyTimeoutMs: 5_000 });
  let events;
  try {
    events = silencedEvents(db, silenceId);
  } finally {
    db.close();
  }
  const alert = admin.queues.get(QUEUES.alert);
  for (const event of events)
    await alert.add(
      event.type,
      event,
      admin.queues.jobOptions(QUEUES.alert, {
        jobId: `${event.id}.unsilenced.${silenceId.slice(0, 8)}`,
      }),
    );
  return events.length;
}
