import { describe, expect, it } from 'vitest';
import { UnsafeRunIdError } from './errors.js';
import { assertSafeRunId, pathForRun } from './run-id.js';
import { eventIds } from './events.js';

describe('assertSafeRunId', () => {
  it.each(['run-42', 'etl_2025-12-05T14.32', 'a b', 'run:7'])('accepts %j', (id) =>
    expect(assertSafeRunId(id)).toBe(id),
  );
  it.each([
    '',
    '..',
    '../x',
    'a/../../b',
    '/etc/passwd',
    'a/b',
    'a\\b',
    'nul\0byte',
    'line\nbreak',
  ])('rejects %j', (id) => {
    expect(() => assertSafeRunId(id)).toThrow(UnsafeRunIdError);
  });
  it('keeps paths inside their folder', () => {
    expect(pathForRun('/data/archive', 'run-1', '.zip')).toBe('/data/archive/run-1.zip');
  });
});

describe('eventIds', () => {
  it('never contains a colon, and keeps distinct ids distinct', () => {
    expect(eventIds.completed('run:7')).toBe('run%3A7.completed');
    expect(eventIds.completed('run%3A7')).not.toBe(eventIds.completed('run:7'));
    expect(eventIds.stepFailed('r', 's:1', 2)).toBe('r.step.s%3A1.failed.2');
    // The separator is encoded too: these two met before (issue 11).
    expect(eventIds.stepFailed('coll', 'b.step.c', 1)).toBe('coll.step.b%2Estep%2Ec.failed.1');
    expect(eventIds.stepFailed('coll.step.b', 'c', 1)).toBe('coll%2Estep%2Eb.step.c.failed.1');
    expect(eventIds.completed('a.b')).not.toBe(eventIds.completed('a%2Eb'));
  });
});
