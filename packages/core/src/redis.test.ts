import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactUrl } from './redis.js';

describe('parseRedisUrl', () => {
  it('keeps plain redis:// and rediss:// URLs for one server', () => {
    expect(parseRedisUrl('redis://:pw@10.0.0.5:6380/2')).toEqual({
      kind: 'single',
      url: 'redis://:pw@10.0.0.5:6380/2',
    });
    expect(parseRedisUrl('rediss://cache.internal:6380')).toEqual({
      kind: 'single',
      url: 'rediss://cache.internal:6380',
    });
  });

  it('reads Sentinel hosts, master name, password and db', () => {
    expect(parseRedisUrl('redis-sentinel://:s3cret@s1:26379,s2,s3:26380/mymaster/3')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
        { host: 's3', port: 26380 },
      ],
      name: 'mymaster',
      db: 3,
      password: 's3cret',
    });
  });

  it('reads Cluster seed nodes', () => {
    expect(parseRedisUrl('redis-cluster://n1:7000,n2:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
    });
  });

  it('says what is missing from a Sentinel URL without a master name', () => {
    expect(() => parseRedisUrl('redis-sentinel://s1:26379')).toThrow(
      /names no master: write redis-sentinel:\/\/host:26379\/<master-name>/,
    );
  });

  it('never shows a password', () => {
    expect(redactUrl('redis://user:hunter2@h:6379/0')).toBe('redis://user:***@h:6379/0');
    expect(redactUrl('https://hooks.slack.com/services/T/B/token')).toBe(
      'https://hooks.slack.com/***',
    );
  });
});
