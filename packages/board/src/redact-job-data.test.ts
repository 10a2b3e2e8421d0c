import { describe, expect, it } from 'vitest';
import { parseBasicAuth } from './basic-auth.js';
import { containsRedacted, REDACTED, redactJobData } from './redact-job-data.js';

describe('redactJobData', () => {
  it('masks secret keys at any depth and keeps everything else', () => {
    const data = {
      runId: 'run-1',
      channels: {
        slack: { webhookUrl: 'https://hooks.slack.example/T/B/xyz' },
        email: { user: 'ops', pass: 'hunter2', port: 587 },
      },
      headers: [{ Authorization: 'Bearer abc' }],
      apiToken: 'tok',
      emptyPassword: '',
    };
    expect(redactJobData(data)).toEqual({
      runId: 'run-1',
      channels: {
        slack: { webhookUrl: REDACTED },
        email: { user: 'ops', pass: REDACTED, port: 587 },
      },
      headers: [{ Authorization: REDACTED }],
      apiToken: REDACTED,
      emptyPassword: '',
    });
  });

  it('removes passwords from URLs inside strings', () => {
    const out = redactJobData({ note: 'connect to redis://app:s3cret@redis:6379/0 now' }) as {
      note: string;
    };
    expect(out.note).not.toContain('s3cret');
    expect(out.note).toContain('redis://app:***@redis:6379/0');
  });

  it('spots masked values in a body that would be saved', () => {
    expect(containsRedacted({ a: [{ b: REDACTED }] })).toBe(true);
    expect(containsRedacted({ a: [{ b: 'real' }] })).toBe(false);
  });
});

describe('parseBasicAuth', () => {
  it('reads user and password, allowing colons in the password', () => {
    const header = `Basic ${Buffer.from('ops:a:b').toString('base64')}`;
    expect(parseBasicAuth(header)).toEqual({ user: 'ops', password: 'a:b' });
    expect(parseBasicAuth('Bearer x')).toBeUndefined();
    expect(parseBasicAuth(undefined)).toBeUndefined();
  });
});
