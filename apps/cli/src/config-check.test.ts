import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '@runwarden/testing';

const dir = mkdtempSync(path.join(os.tmpdir(), 'runwarden-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, text: string, alerts = 'rules: []\n'): string {
  writeFileSync(path.join(dir, `${name}.alerts.yaml`), alerts);
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, `alerts: ${path.join(dir, `${name}.alerts.yaml`)}\n${text}`);
  return file;
}

describe('runwarden config check', () => {
  it('exits 0 on the shipped configuration and lists rules and channels', async () => {
    const run = await runCliProcess(['config', 'check'], { env: { SLACK_WEBHOOK_URL: '' } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'rule run_failure: critical, throttle 15m → console, slack, email, webhook',
    );
    expect(run.stdout).toMatch(/channel slack: disabled/);
  });

  it.each([
    ['malformed YAML', 'scanner: [oops\n', /bad-yaml\.yaml:\d+:\d+: invalid YAML/],
    [
      'a wrong type',
      'archive:\n  concurrency: lots\n',
      /wrong-type\.yaml:3:16: archive\.concurrency: expected number, got string "lots"/,
    ],
    ['an unknown key', 'scaner: {}\n', /unknown-key\.yaml:2:1: scaner: unknown key "scaner"/],
    [
      'a bad duration',
      'scanner:\n  pollInterval: 10 seconds\n',
      /bad-duration\.yaml:3:17: scanner\.pollInterval: expected a duration like 100ms, 10s, 30m, 1h or 1d/,
    ],
    [
      'a missing environment variable',
      'database: "${RW_TEST_UNSET_DB:?path of the orchestration db}"\n',
      /missing-env\.yaml:2:11: environment variable RW_TEST_UNSET_DB is not set/,
    ],
  ])('exits 2 naming file:line:column for %s', async (_what, text, expected) => {
    const name = _what
      .replace(/^(a|an) /, '')
      .replace(/ /g, '-')
      .replace('malformed-YAML', 'bad-yaml')
      .replace('wrong-type', 'wrong-type')
      .replace('missing-environment-variable', 'missing-env');
    const run = await runCliProcess(['config', 'check', '--config', configFile(name, text)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(expected);
  });

  it('exits 2 on a rule naming an unknown channel, at the channel', async () => {
    const alerts =
      'rules:\n  - name: r\n    match: { type: run_stalled }\n    severity: low\n    channels: [console, teams]\n';
    const run = await runCliProcess([
      'config',
      'check',
      '--config',
      configFile('bad-rule', '', alerts),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /bad-rule\.alerts\.yaml:5:25: rules\[0\]\.channels\[1\]: unknown channel "teams"/,
    );
  });

  it('exits 2 on an unknown command', async () => {
    const run = await runCliProcess(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
