import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@runwarden/testing';
import { WORKER_ROLES } from './cli-commands.js';
import { parseUnit } from './deploy-commands.js';

const UNITS = ['runwarden-scanner.service', 'runwarden-worker@.service', 'runwarden-board.service'];
const unitPath = (unit: string) => path.join(REPO_ROOT, 'config/systemd', unit);
const systemdAnalyze = spawnSync('sh', ['-c', 'command -v systemd-analyze'], {
  encoding: 'utf8',
}).stdout.trim();

/** Service keys every unit must set, with the value each must have (or a pattern). */
const REQUIRED_SERVICE_KEYS: Record<string, RegExp> = {
  ExecStart: /apps\/cli\/bin\/runwarden\.js /,
  Restart: /^on-failure$/,
  EnvironmentFile: /^-?\/etc\/runwarden\/runwarden\.env$/,
  User: /^runwarden$/,
  NoNewPrivileges: /^yes$/,
  ProtectSystem: /^strict$/,
  ReadWritePaths: /\/var\/lib\/runwarden/,
  PrivateTmp: /^yes$/,
  WorkingDirectory: /^\/var\/lib\/runwarden$/,
};

describe.each(UNITS)('%s', (unit) => {
  const entries = parseUnit(readFileSync(unitPath(unit), 'utf8'));
  const value = (section: string, key: string) =>
    entries.filter((e) => e.section === section && e.key === key).map((e) => e.value);

  it('runs as a dedicated user, restarts on failure, reads an environment file and is hardened', () => {
    for (const [key, pattern] of Object.entries(REQUIRED_SERVICE_KEYS)) {
      const values = value('Service', key);
      expect(values, `[Service] ${key}`).toHaveLength(1);
      expect(values[0], `[Service] ${key}`).toMatch(pattern);
    }
    expect(value('Unit', 'Description')).toHaveLength(1);
    expect(value('Install', 'WantedBy')).toEqual(['multi-user.target']);
  });

  it('does not restart after a configuration error (exit status 2)', () => {
    expect(value('Service', 'RestartPreventExitStatus')).toEqual(['2']);
  });
});

describe('the worker unit template', () => {
  it('takes the role from the instance name', () => {
    const text = readFileSync(unitPath('runwarden-worker@.service'), 'utf8');
    const exec = parseUnit(text).find((e) => e.key === 'ExecStart')?.value;
    expect(exec).toMatch(/ worker %i$/);
  });
});

describe.skipIf(!systemdAnalyze)(
  `systemd-analyze verify${systemdAnalyze ? '' : ' (skipped: systemd-analyze is not installed)'}`,
  () => {
    it.each(UNITS)('finds nothing wrong with %s', (unit) => {
      // A template is verified through an instance of it, as systemctl would start it.
      const dir = mkdtempSync(path.join(os.tmpdir(), 'runwarden-units-'));
      try {
        const name = unit.replace('@.service', `@${WORKER_ROLES[0]}.service`);
        copyFileSync(unitPath(unit), path.join(dir, name));
        const result = spawnSync(systemdAnalyze, ['verify', path.join(dir, name)], {
          encoding: 'utf8',
          env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' },
        });
        // verify exits 0 on unknown keys and bad values, only warning: any line about our unit is a failure.
        const aboutUnit = `${result.stdout}\n${result.stderr}`
          .split('\n')
          .filter((line) => line.includes(name));
        expect(aboutUnit).toEqual([]);
        expect(result.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
