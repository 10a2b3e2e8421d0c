import { alertsConfigSchema, type RunwardenEvent } from '@runwarden/core';
import { describe, expect, it } from 'vitest';
import { parseMatcher, silenceMatches, silenceState, type Silence } from './silences.js';

const rule = alertsConfigSchema.parse({
  rules: [
    {
      name: 'run_stalled',
      match: { type: 'run_stalled' },
      severity: 'medium',
      channels: ['console'],
    },
  ],
}).rules[0]!;
const event = {
  id: 'r1.stalled.1',
  type: 'run_stalled',
  runId: 'nightly-7',
  pipeline: 'etl',
} as unknown as RunwardenEvent;
const silence = (...m: string[]): Silence => ({
  id: 'x',
  matchers: m.map(parseMatcher),
  startsAt: '2026-11-30T10:00:00Z',
  endsAt: '2026-11-30T12:00:00Z',
  createdAt: '',
  createdBy: '',
  comment: '',
});

describe('silence matchers', () => {
  it('match by equality, inequality and whole-value regexes on event fields and the rule', () => {
    expect(silenceMatches(silence('pipeline=etl', 'type=run_stalled'), event, rule)).toBe(true);
    expect(silenceMatches(silence('pipeline=etl', 'type=run_completed'), event, rule)).toBe(false);
    expect(silenceMatches(silence('runId=~nightly-.*'), event, rule)).toBe(true);
    expect(silenceMatches(silence('runId=~nightly'), event, rule)).toBe(false);
    expect(silenceMatches(silence('runId!~nightly-.*'), event, rule)).toBe(false);
    expect(
      silenceMatches(silence('pipeline!=ml', 'rule=run_stalled', 'severity=medium'), event, rule),
    ).toBe(true);
    // A field the event lacks is empty.
    expect(silenceMatches(silence('outcome='), event, rule)).toBe(true);
  });

  it('reject unknown fields, bad operators and bad regexes with the matcher in the message', () => {
    expect(() => parseMatcher('pipe=etl')).toThrow(
      'matcher "pipe=etl": unknown field "pipe"; expected one of type, outcome, pipeline, runId, stepName, state, rule, severity',
    );
    expect(() => parseMatcher('pipeline')).toThrow('matcher "pipeline": expected field=value');
    expect(() => parseMatcher('runId=~(')).toThrow('matcher "runId=~(": bad regex');
  });

  it('are pending before they start, active until they end, expired after', () => {
    const s = silence('pipeline=etl');
    expect(silenceState(s, Date.parse('2026-11-30T09:59:59Z'))).toBe('pending');
    expect(silenceState(s, Date.parse('2026-11-30T11:59:59Z'))).toBe('active');
    expect(silenceState(s, Date.parse('2026-11-30T12:00:00Z'))).toBe('expired');
  });
});
