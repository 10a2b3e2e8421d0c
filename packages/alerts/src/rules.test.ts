import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  emptyStepCounts,
  loadAlertsConfig,
  type RunwardenEvent,
} from '@runwarden/core';
import { describe, expect, it } from 'vitest';
import { alertNotification } from './build-notification.js';
import { groupOf, matchRules } from './rules.js';

const shipped = fileURLToPath(new URL('../../../config/alerts.yaml', import.meta.url));
const alerts = loadAlertsConfig(shipped, {});

const completed = (outcome: 'failed' | 'succeeded', pipeline = 'etl'): RunwardenEvent => ({
  id: `42.completed`,
  type: 'run_completed',
  runId: '42',
  pipeline,
  detectedAt: '2025-12-05T14:32:17Z',
  outcome,
  stepCounts: { ...emptyStepCounts(), succeeded: 4, failed: 1, total: 5 },
  run: {
    runId: '42',
    pipeline,
    state: 'failed',
    createdAt: '',
    startedAt: null,
    finishedAt: null,
    updatedAt: '',
    steps: [],
  },
});

describe('rules from the shipped alerts.yaml', () => {
  it('reproduce the seed rules with their severities and windows', () => {
    const byName = Object.fromEntries(alerts.rules.map((r) => [r.name, [r.severity, r.throttle]]));
    expect(byName).toMatchObject({
      run_failure: ['critical', 15 * 60_000],
      archival_failure: ['high', 30 * 60_000],
      run_stalled: ['medium', 60 * 60_000],
      step_failure: ['medium', 30 * 60_000],
      run_completed: ['low', 0],
    });
  });

  it('match a failed run twice (run_failure and run_completed) and a run_started never', () => {
    expect(matchRules(alerts, completed('failed')).map((r) => r.name)).toEqual([
      'run_failure',
      'run_completed',
    ]);
    expect(matchRules(alerts, completed('succeeded')).map((r) => r.name)).toEqual([
      'run_completed',
    ]);
    const started: RunwardenEvent = {
      id: '42.started',
      type: 'run_started',
      runId: '42',
      pipeline: 'etl',
      detectedAt: '',
      state: 'running',
    };
    expect(matchRules(alerts, started)).toEqual([]);
  });

  it('group by pipeline and build the seed subject', () => {
    const rule = alerts.rules.find((r) => r.name === 'run_failure')!;
    expect(groupOf(rule, completed('failed', 'a')).hash).not.toBe(
      groupOf(rule, completed('failed', 'b')).hash,
    );
    const n = alertNotification(alerts, rule, completed('failed'), 0);
    expect(`[${n.severity.toUpperCase()}] ${n.rule}: ${n.title}`).toBe(
      '[CRITICAL] run_failure: run 42 failed (4/5 steps)',
    );
  });

  it('resolve a stall with the stall alert dedupKey', () => {
    const recovered: RunwardenEvent = {
      id: '42.recovered.1',
      type: 'run_recovered',
      runId: '42',
      pipeline: 'etl',
      detectedAt: '',
      state: 'running',
      stalledEventId: '42.stalled.1',
      stall: 1,
    };
    const rule = alerts.rules.find((r) => r.name === 'run_recovered')!;
    expect(alertNotification(alerts, rule, recovered, 0)).toMatchObject({
      status: 'resolved',
      dedupKey: 'run_stalled.42.stalled.1',
    });
  });
});

describe('config check of rules', () => {
  it('names file:line:col for an unknown channel, a bad matcher field and a bad duration', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'runwarden-rules-')), 'alerts.yaml');
    writeFileSync(
      file,
      [
        'channels:',
        '  console: {}',
        'rules:',
        '  - name: r',
        '    match: { type: run_completed, colour: red }',
        '    severity: low',
        '    throttle: 5 minutes',
        '    channels: [console, pager]',
        '',
      ].join('\n'),
    );
    const err = (() => {
      try {
        loadAlertsConfig(file, {});
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    const text = err.message;
    expect(text).toMatch(/alerts\.yaml:5:\d+: rules\[0\]\.match.*colour/);
    expect(text).toMatch(/alerts\.yaml:7:15: rules\[0\]\.throttle: expected a duration/);
    expect(text).toMatch(/alerts\.yaml:8:\d+: rules\[0\]\.channels\[1\]: unknown channel "pager"/);
  });
});
