import { describe, expect, it } from 'vitest';
import {
  checkClusterPrefix,
  describeTarget,
  parseRedisUrl,
  redactSecrets,
  redactUrl,
} from './redis-url.js';

describe('parseRedisUrl', () => {
  it('reads one server, with login, db and TLS', () => {
    expect(parseRedisUrl('redis://:pw@10.0.0.5:6380/2')).toEqual({
      kind: 'single',
      host: '10.0.0.5',
      port: 6380,
      db: 2,
      password: 'pw',
      tls: false,
    });
    expect(parseRedisUrl('rediss://app:s%40fe@cache.internal')).toEqual({
      kind: 'single',
      host: 'cache.internal',
      port: 6379,
      db: 0,
      username: 'app',
      password: 's@fe',
      tls: true,
    });
  });

  it('reads Sentinel hosts, master name, both passwords and db', () => {
    expect(
      parseRedisUrl(
        'redis-sentinel://:m4ster@s1:26379,s2,s3:26380/mymaster/3?sentinelPassword=s3nt',
      ),
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
        { host: 's3', port: 26380 },
      ],
      name: 'mymaster',
      db: 3,
      password: 'm4ster',
      sentinelPassword: 's3nt',
      tls: false,
    });
  });

  it('reads Cluster seed nodes, over TLS with rediss-cluster', () => {
    expect(parseRedisUrl('rediss-cluster://:pw@n1:7000,n2:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
      password: 'pw',
      tls: true,
    });
  });

  it.each([
    [
      'redis-sentinel://s1:26379',
      /names no master: write redis-sentinel:\/\/host:26379\/<master-name>/,
    ],
    ['redis-cluster://n1:7000/0', /has a path; a Cluster URL has none/],
    ['http://h:6379', /has the scheme http; runwarden reads redis, rediss/],
    ['127.0.0.1:6379 oops', /is not a URL|has the scheme/],
    ['redis://h:6379/x', /database number that is not one: x/],
    ['redis-cluster://:pw@n1:99999', /port out of range: 99999/],
  ])('says what is wrong with %s', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('never puts a password in its errors', () => {
    expect(() => parseRedisUrl('redis-cluster://:hunter2@n1:7000/0')).toThrow(
      /^Redis URL redis-cluster:\/\/:\*\*\*@n1:7000\/0 has a path/,
    );
  });
});

describe('redaction', () => {
  it('hides passwords in every URL form', () => {
    expect(redactUrl('redis://user:hunter2@h:6379/0')).toBe('redis://user:***@h:6379/0');
    expect(redactUrl('redis-cluster://:hunter2@a:1,b:2')).toBe('redis-cluster://:***@a:1,b:2');
    expect(redactUrl('redis-sentinel://u:x@a:1/m?sentinelPassword=y')).toBe(
      'redis-sentinel://u:***@a:1/m?sentinelPassword=***',
    );
    expect(redactUrl('https://hooks.slack.com/services/T/B/token')).toBe(
      'https://hooks.slack.com/***',
    );
  });

  it('scrubs every password it has read from any text, such as an ioredis error', () => {
    parseRedisUrl('redis-cluster://:Zq9-secret@127.0.0.1:7101,127.0.0.1:7102');
    expect(redactSecrets('connect ENOENT //:Zq9-secret@127.0.0.1:7101 failed')).toBe(
      'connect ENOENT //:***@127.0.0.1:7101 failed',
    );
    expect(redactSecrets('AUTH Zq9-secret refused')).toBe('AUTH *** refused');
  });

  it('describes a target by its hosts only', () => {
    expect(describeTarget(parseRedisUrl('redis-sentinel://:pw@a:1,b:2/mymaster'))).toBe(
      'redis-sentinel://a:1,b:2/mymaster',
    );
  });
});

describe('checkClusterPrefix', () => {
  const cluster = parseRedisUrl('redis-cluster://n1:7000');
  it('asks for a hash tag on a Cluster', () => {
    expect(() => checkClusterPrefix(cluster, 'runwarden')).toThrow(
      /has no hash tag.*Set redis.prefix to "\{runwarden\}"/,
    );
  });
  it('accepts a hash-tagged prefix, and any prefix elsewhere', () => {
    expect(() => checkClusterPrefix(cluster, '{runwarden}')).not.toThrow();
    expect(() => checkClusterPrefix(parseRedisUrl('redis://h'), 'runwarden')).not.toThrow();
  });
});
