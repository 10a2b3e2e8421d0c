/**
 * Silences, as in Alertmanager: "don't notify about events like these until
 * then". Every alert worker checks them before deciding, so a silence added
 * from any machine applies to all workers at once.
 *
 *   P:silences:index  zset  id → endsAt (ms): the active and the recently ended
 *   P:silences:<id>   JSON  the silence; expires KEEP_ENDED_MS after it ends,
 *                           so `silence list --expired` can still show it
 *
 * A silenced (event, rule) is recorded in the ledger as `silenced`; it is not
 * held, and nothing is sent for it when the silence ends.
 */
import { randomUUID } from 'node:crypto';
import { MATCH_FIELDS, type AlertRule, type RunwardenEvent } from '@runwarden/core';
import type { Redis } from 'ioredis';
import { eventField, type MatchField } from './rules.js';

/** Event fields (as rules see them) plus the rule's name and severity. */
export const SILENCE_FIELDS = [...MATCH_FIELDS, 'rule', 'severity'] as const;
export type SilenceField = (typeof SILENCE_FIELDS)[number];
export const MATCHER_OPS = ['=', '!=', '=~', '!~'] as const;
export type MatcherOp = (typeof MATCHER_OPS)[number];

export interface SilenceMatcher {
  field: SilenceField;
  op: MatcherOp;
  value: string;
}

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdAt: string;
  createdBy: string;
  comment: string;
}

export type SilenceState = 'active' | 'pending' | 'expired';

/** How long an ended silence stays listable. */
export const KEEP_ENDED_MS = 24 * 3_600_000;

export class SilenceError extends Error {
  override name = 'SilenceError';
}

export const silenceKeys = {
  index: (prefix: string) => `${prefix}:silences:index`,
  silence: (prefix: string, id: string) => `${prefix}:silences:${id}`,
};

/** `pipeline=etl`, `type!=run_started`, `runId=~nightly-.*`, `stepName!~test_.*` (regexes match the whole value). */
export function parseMatcher(text: string): SilenceMatcher {
  const m = /^([A-Za-z]+)(=~|!~|!=|=)(.*)$/s.exec(text.trim());
  if (!m)
    throw new SilenceError(
      `matcher "${text}": expected field=value, field!=value, field=~regex or field!~regex`,
    );
  const [, field, op, value] = m as unknown as [string, string, MatcherOp, string];
  if (!(SILENCE_FIELDS as readonly string[]).includes(field))
    throw new SilenceError(
      `matcher "${text}": unknown field "${field}"; expected one of ${SILENCE_FIELDS.join(', ')}`,
    );
  if (op === '=~' || op === '!~') {
    try {
      new RegExp(`^(?:${value})$`);
    } catch (err) {
      throw new SilenceError(`matcher "${text}": bad regex: ${(err as Error).message}`);
    }
  }
  return { field: field as SilenceField, op, value };
}

export function formatMatcher(m: SilenceMatcher): string {
  return `${m.field}${m.op}${m.value}`;
}

function fieldValue(field: SilenceField, event: RunwardenEvent, rule: AlertRule): string {
  if (field === 'rule') return rule.name;
  if (field === 'severity') return rule.severity;
  // A field the event lacks is the empty string, as a missing label is in Alertmanager.
  return String(eventField(event, field as MatchField) ?? '');
}

export function silenceMatches(s: Silence, event: RunwardenEvent, rule: AlertRule): boolean {
  return s.matchers.every((m) => {
    const actual = fieldValue(m.field, event, rule);
    switch (m.op) {
      case '=':
        return actual === m.value;
      case '!=':
        return actual !== m.value;
      case '=~':
        return new RegExp(`^(?:${m.value})$`).test(actual);
      case '!~':
        return !new RegExp(`^(?:${m.value})$`).test(actual);
    }
  });
}

export function silenceState(s: Silence, now: number): SilenceState {
  if (Date.parse(s.endsAt) <= now) return 'expired';
  return Date.parse(s.startsAt) > now ? 'pending' : 'active';
}

export interface NewSilence {
  matchers: SilenceMatcher[];
  startsAt?: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

async function store(redis: Redis, prefix: string, s: Silence, now: number): Promise<void> {
  const endsAt = Date.parse(s.endsAt);
  await redis
    .multi()
    .set(
      silenceKeys.silence(prefix, s.id),
      JSON.stringify(s),
      'PX',
      Math.max(1, endsAt + KEEP_ENDED_MS - now),
    )
    .zadd(silenceKeys.index(prefix), endsAt, s.id)
    .zremrangebyscore(silenceKeys.index(prefix), '-inf', now - KEEP_ENDED_MS)
    .exec();
}

export async function addSilence(
  redis: Redis,
  prefix: string,
  input: NewSilence,
  now: number,
): Promise<Silence> {
  if (input.matchers.length === 0)
    throw new SilenceError('a silence needs at least one matcher (--match field=value)');
  const startsAt = input.startsAt ?? now;
  if (input.endsAt <= Math.max(now, startsAt))
    throw new SilenceError('a silence must end in the future and after it starts');
  const silence: Silence = {
    id: randomUUID(),
    matchers: input.matchers,
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(input.endsAt).toISOString(),
    createdAt: new Date(now).toISOString(),
    createdBy: input.createdBy,
    comment: input.comment,
  };
  await store(redis, prefix, silence, now);
  return silence;
}

/** Silences not ended before `since` (default: now), soonest end first. */
export async function listSilences(
  redis: Redis,
  prefix: string,
  now: number,
  since = now,
): Promise<Silence[]> {
  const ids = await redis.zrangebyscore(silenceKeys.index(prefix), `(${since}`, '+inf');
  if (ids.length === 0) return [];
  const raw = await redis.mget(ids.map((id) => silenceKeys.silence(prefix, id)));
  return raw.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as Silence);
}

/** The first active silence that covers this event under this rule. */
export async function findSilence(
  redis: Redis,
  prefix: string,
  event: RunwardenEvent,
  rule: AlertRule,
  now: number,
): Promise<Silence | undefined> {
  const silences = await listSilences(redis, prefix, now);
  return silences.find((s) => silenceState(s, now) === 'active' && silenceMatches(s, event, rule));
}

/** Ends a silence now (kept listable for KEEP_ENDED_MS); an id prefix of 8+ characters is enough. */
export async function expireSilence(
  redis: Redis,
  prefix: string,
  id: string,
  now: number,
): Promise<Silence> {
  const candidates = (await listSilences(redis, prefix, now, now - KEEP_ENDED_MS)).filter(
    (s) => s.id === id || (id.length >= 8 && s.id.startsWith(id)),
  );
  if (candidates.length !== 1)
    throw new SilenceError(
      candidates.length === 0
        ? `no silence with id ${id}; see \`runwarden silence list --expired\``
        : `id ${id} matches ${candidates.length} silences; give more of it`,
    );
  const silence = candidates[0]!;
  if (silenceState(silence, now) === 'expired') return silence;
  const ended: Silence = { ...silence, endsAt: new Date(now).toISOString() };
  await store(redis, prefix, ended, now);
  return ended;
}
