import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig } from './load.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const GOOD_ALERTS = `channels:\n  console: {}\nrules:\n  - name: failures\n    match: { type: run_completed, outcome: failed }\n    severity: critical\n    channels: [console]\n`;

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runwarden-config-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function configError(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): ConfigError {
  const cwd = project({ 'alerts.yaml': GOOD_ALERTS, ...files });
  try {
    loadConfig({ cwd, configPath: 'runwarden.yaml', env });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills every default and resolves paths against the working directory', () => {
    const cwd = project({ 'runwarden.yaml': 'alerts: alerts.yaml\n', 'alerts.yaml': GOOD_ALERTS });
    const { config, alerts } = loadConfig({ cwd, configPath: 'runwarden.yaml', env: {} });
    expect(config.scanner.pollInterval).toBe(10_000);
    expect(config.scanner.stallThreshold).toBe(1_800_000);
    expect(config.queues.archive).toEqual({
      attempts: 5,
      backoff: { type: 'exponential', delay: 5_000 },
      lockDuration: 30_000,
    });
    expect(config.archive.threads).toBe(1);
    expect(config.database).toBe(path.join(cwd, '.state/orchestration.db'));
    expect(config.paths.archive).toBe(path.join(cwd, '.archive'));
    expect(alerts.rules[0]?.throttle).toBe(0);
  });

  it('loads the shipped configuration', () => {
    const cwd = path.resolve(import.meta.dirname, '../../../..');
    const { alerts } = loadConfig({ cwd, env: {} });
    expect(alerts.rules.map((r) => [r.name, r.severity, r.throttle])).toEqual([
      ['run_failure', 'critical', 900_000],
      ['archival_failure', 'high', 1_800_000],
      ['run_stalled', 'medium', 3_600_000],
      ['run_recovered', 'medium', 0],
      ['step_failure', 'medium', 1_800_000],
      ['run_completed', 'low', 0],
      ['monitor_blind', 'critical', 0],
      ['monitor_recovered', 'critical', 0],
    ]);
    expect(alerts.channels.slack?.webhookUrl).toBe('');
  });

  it('reports malformed YAML with its line and column', () => {
    const err = configError({
      'runwarden.yaml': 'alerts: alerts.yaml\nscanner:\n  pollInterval: [10s\n',
    });
    expect(err.issues[0]).toMatchObject({
      file: expect.stringContaining('runwarden.yaml'),
      line: expect.any(Number),
    });
    expect(err.message).toMatch(/runwarden\.yaml:\d+:\d+: invalid YAML/);
  });

  it('reports a value of the wrong type at the value', () => {
    const err = configError({
      'runwarden.yaml': 'alerts: alerts.yaml\narchive:\n  concurrency: many\n',
    });
    expect(err.issues).toEqual([
      expect.objectContaining({
        line: 3,
        column: 16,
        key: 'archive.concurrency',
        message: 'expected number, got string "many"',
      }),
    ]);
  });

  it('refuses a lock so short that a busy worker would lose its jobs', () => {
    const err = configError({
      'runwarden.yaml': 'alerts: alerts.yaml\nqueues:\n  report: { lockDuration: 2s }\n',
    });
    expect(err.issues).toEqual([
      expect.objectContaining({
        line: 3,
        key: 'queues.report.lockDuration',
        message: expect.stringContaining('at least 5s'),
      }),
    ]);
  });

  it('reports an unknown key at the key', () => {
    const err = configError({
      'runwarden.yaml': 'alerts: alerts.yaml\nscanner:\n  pollIntervall: 10s\n',
    });
    expect(err.issues).toEqual([
      expect.objectContaining({
        line: 3,
        column: 3,
        key: 'scanner.pollIntervall',
        message: 'unknown key "pollIntervall"',
      }),
    ]);
  });

  it('reports a bad duration with what was expected', () => {
    const err = configError({
      'runwarden.yaml': 'alerts: alerts.yaml\nscanner:\n  stallThreshold: 10 minutes\n',
    });
    expect(err.message).toContain(
      'runwarden.yaml:3:19: scanner.stallThreshold: expected a duration like 100ms, 10s, 30m, 1h or 1d, got "10 minutes"',
    );
  });

  it('reports a required environment variable that is not set', () => {
    const err = configError({
      'runwarden.yaml':
        'alerts: alerts.yaml\ndatabase: "${PIPELINE_DB:?set it to the orchestration database}"\n',
    });
    expect(err.message).toContain(
      'runwarden.yaml:2:11: environment variable PIPELINE_DB is not set: set it to the orchestration database',
    );
  });

  it('names the unset variable when an expanded value is invalid', () => {
    const err = configError({
      'runwarden.yaml': 'alerts: alerts.yaml\nredis:\n  url: "${MY_REDIS}"\n',
    });
    expect(err.message).toMatch(
      /runwarden\.yaml:3:8: redis\.url: .*environment variable MY_REDIS is not set/,
    );
  });

  it('expands ${VAR} and ${VAR:-default} and applies environment overrides', () => {
    const cwd = project({
      'runwarden.yaml':
        'alerts: alerts.yaml\ndatabase: "${DB_DIR:-/data}/orchestration.db"\nredis:\n  prefix: "${PREFIX}"\n',
      'alerts.yaml': GOOD_ALERTS,
    });
    const { config } = loadConfig({
      cwd,
      configPath: 'runwarden.yaml',
      env: { PREFIX: 'rw', REDIS_URL: 'redis://127.0.0.1:7000' },
    });
    expect(config.database).toBe('/data/orchestration.db');
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:7000', prefix: 'rw' });
  });

  it('says which file is missing', () => {
    expect(() => loadConfig({ cwd: project({}), configPath: 'nope.yaml', env: {} })).toThrow(
      /nope\.yaml:1:1: file not found/,
    );
  });

  it('validates rules: unknown channel, bad matcher field, bad event type, bad throttle', () => {
    const alerts = [
      'rules:',
      '  - name: r1',
      '    match: { type: run_exploded, color: red }',
      '    severity: urgent',
      '    throttle: soon',
      '    channels: [console, pager]',
    ].join('\n');
    const err = configError({ 'runwarden.yaml': 'alerts: alerts.yaml\n', 'alerts.yaml': alerts });
    const text = err.message;
    expect(text).toContain('alerts.yaml:3:34: rules[0].match.color: unknown match field "color"');
    expect(text).toContain(
      'alerts.yaml:3:20: rules[0].match.type: unknown event type "run_exploded"',
    );
    expect(text).toMatch(/alerts\.yaml:4:15: rules\[0\]\.severity: /);
    expect(text).toContain('alerts.yaml:5:15: rules[0].throttle: expected a duration');
    expect(text).toContain('alerts.yaml:6:25: rules[0].channels[1]: unknown channel "pager"');
  });

  it('checks the email report setting: the mode, the board URL, and link without a URL', () => {
    const email = (lines: string[]) =>
      configError({
        'runwarden.yaml': 'alerts: alerts.yaml\n',
        'alerts.yaml': `channels:\n  email:\n${lines.map((l) => `    ${l}`).join('\n')}\nrules: []\n`,
      }).message;
    expect(email(['report: mail'])).toContain(
      'alerts.yaml:3:13: channels.email.report: expected one of attach, link, none, got "mail"',
    );
    expect(email(['report: link', 'boardUrl: board.example'])).toContain(
      'channels.email.boardUrl: expected an http(s) URL such as https://runwarden.example.com/, got "board.example"',
    );
    expect(email(['report: link'])).toContain(
      'channels.email.boardUrl: report: link needs boardUrl',
    );
    const cwd = project({
      'runwarden.yaml': 'alerts: alerts.yaml\n',
      'alerts.yaml': 'channels:\n  email: { boardUrl: "https://board.example/ops/" }\nrules: []\n',
    });
    const { alerts } = loadConfig({ cwd, configPath: 'runwarden.yaml', env: {} });
    expect(alerts.channels.email).toMatchObject({
      report: 'attach',
      boardUrl: 'https://board.example/ops/',
    });
  });

  it('takes channel settings from the environment', () => {
    const cwd = project({ 'runwarden.yaml': 'alerts: alerts.yaml\n', 'alerts.yaml': GOOD_ALERTS });
    const { alerts } = loadConfig({
      cwd,
      configPath: 'runwarden.yaml',
      env: { SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/hook', SMTP_PORT: '2525' },
    });
    expect(alerts.channels.slack?.webhookUrl).toBe('http://127.0.0.1:9/hook');
    expect(alerts.channels.email?.port).toBe(2525);
  });
});

/** A YAML "billion laughs": ten levels of nine aliases each, 10^9 strings once expanded. */
function aliasBomb(): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 10; i += 1)
    lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(', ')}]`);
  return `alerts: alerts.yaml\n${lines.join('\n')}\n`;
}

describe('loadConfig against hostile files', () => {
  it('refuses an alias bomb as a configuration error at its first alias', () => {
    const err = configError({ 'runwarden.yaml': aliasBomb() });
    expect(err.issues).toHaveLength(1);
    expect(err.message).toMatch(
      /runwarden\.yaml:3:10: invalid YAML: Excessive alias count indicates a resource exhaustion attack \(the file is refused as a whole/,
    );
  });

  it('reports a repeated key at its second occurrence', () => {
    const err = configError({
      'runwarden.yaml': 'alerts: alerts.yaml\nboard:\n  port: 1\n  host: x\n  port: 2\n',
    });
    expect(err.message).toMatch(
      /runwarden\.yaml:5:3: invalid YAML: Map keys must be unique; "port" appears again here$/,
    );
  });

  it('loads 50,000 webhook headers, and finds a repeated one at the end (linear, not quadratic)', () => {
    const headers = Array.from({ length: 50_000 }, (_, i) => `      h${i}: v${i}\n`).join('');
    const alerts = `channels:\n  webhook:\n    url: http://127.0.0.1:9/x\n    headers:\n${headers}rules: []\n`;
    const cwd = project({ 'runwarden.yaml': 'alerts: alerts.yaml\n', 'alerts.yaml': alerts });
    const loaded = loadConfig({ cwd, configPath: 'runwarden.yaml', env: {} });
    expect(Object.keys(loaded.alerts.channels.webhook!.headers)).toHaveLength(50_000);
    const err = configError({
      'runwarden.yaml': 'alerts: alerts.yaml\n',
      'alerts.yaml': alerts.replace('rules: []', '      h7: again\nrules: []'),
    });
    expect(err.message).toMatch(
      /alerts\.yaml:50005:7: invalid YAML: Map keys must be unique; "h7"/,
    );
  });

  it('reports at most 20 problems, then how many more', () => {
    const headers = Array.from({ length: 5_000 }, (_, i) => `      h${i}: ${i}\n`).join('');
    const err = configError({
      'runwarden.yaml': 'alerts: alerts.yaml\n',
      'alerts.yaml': `channels:\n  webhook:\n    headers:\n${headers}rules: []\n`,
    });
    expect(err.issues).toHaveLength(21);
    expect(err.issues[0]?.message).toBe('expected string, got number 0');
    expect(err.issues[20]?.message).toBe('… and 4980 more problem(s) like these');
  });
});
