import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { testNotification } from '../build-notification.js';
import type { Notification } from '../notification.js';
import { createConsoleChannel } from './console.js';

/** A run id and a step error written by someone who knows terminals. */
function hostile(): Notification {
  const n = testNotification(Date.parse('2025-12-05T14:32:17Z'));
  const runId = 'run-1\x1b[2J\x1b]0;owned\x07';
  return {
    ...n,
    severity: 'critical',
    title: `step load of run ${runId} failed: \x1b]52;c;cm0gLXJmIH4=\x07boom\r\n\u202etxt.exe`,
    events: [{ ...n.events[0]!, runId, id: `${runId}.completed`, pipeline: 'etl\x9b31m' }],
  };
}

async function written(color: 'always' | 'never'): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  await createConsoleChannel({ out, color }).send(hostile());
  return text;
}

describe('console channel', () => {
  it('shows control characters from the pipeline as escapes, never raw', async () => {
    const plain = await written('never');
    // eslint-disable-next-line no-control-regex
    expect(plain).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(plain).toContain(
      '  run:   run-1\\u001b[2J\\u001b]0;owned\\u0007 (pipeline etl\\u009b31m)',
    );
    expect(plain).toContain('\\u001b]52;c;cm0gLXJmIH4=\\u0007boom\\u000d\\u000a\\u202etxt.exe');
    expect(plain.split('\n')).toHaveLength(7);
  });

  it('keeps its own colour codes, and only those, on a colour terminal', async () => {
    const coloured = await written('always');
    expect(coloured.split('\x1b')).toHaveLength(3);
    expect(coloured.startsWith('\x1b[1;31m[ALERT] ')).toBe(true);
  });
});
