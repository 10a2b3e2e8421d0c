import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsafeRunIdError } from './errors.js';
import { assertSafeRunId, MAX_RUN_ID_BYTES, pathForRun } from './run-id.js';
import { eventIds } from './events.js';
import { tempPathFor } from './atomic-file.js';

describe('assertSafeRunId', () => {
  it.each(['run-42', 'etl_2025-12-05T14.32', 'a b', 'run:7', 'é'.repeat(100), '漢字-🚀'])(
    'accepts %j',
    (id) => expect(assertSafeRunId(id)).toBe(id),
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
    'c1\u009bcontrol',
    '   ',
    '\t',
    ' lead',
    'trail ',
    'trail\u3000',
    'x'.repeat(201),
    'é'.repeat(101),
    'lone\ud800',
  ])('rejects %j', (id) => {
    expect(() => assertSafeRunId(id)).toThrow(UnsafeRunIdError);
  });
  it('counts bytes, not UTF-16 units, and says so', () => {
    expect(() => assertSafeRunId('é'.repeat(200))).toThrow(
      /it is 400 bytes long in UTF-8, more than 200/,
    );
    expect(() => assertSafeRunId('   ')).toThrow(/" {3}": it is only white space/);
    expect(() => assertSafeRunId(' x')).toThrow(/it begins or ends with white space/);
  });

  it('accepts only ids whose longest file name the file system can hold', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runwarden-run-id-'));
    try {
      const longest = 'é'.repeat(MAX_RUN_ID_BYTES / 2);
      // The longest names made from a run id: the temps of its files, from a 7-digit pid.
      const names = [`${longest}_summary.html`, `${longest}.zip.json`, `${longest}.zip`].map(
        (final) => path.basename(tempPathFor(path.join(dir, final))).replace(/-\d+-/, '-4194304-'),
      );
      expect(assertSafeRunId(longest)).toBe(longest);
      for (const name of names) writeFileSync(path.join(dir, name), '');
      // What the old limit of 200 UTF-16 units let through:
      expect(() => writeFileSync(path.join(dir, `${'é'.repeat(200)}_summary.json`), '')).toThrow(
        /ENAMETOOLONG/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
