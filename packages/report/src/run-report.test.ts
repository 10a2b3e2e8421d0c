import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UnsafeRunIdError } from '@runwarden/core';
import { completedEvent, step } from '@runwarden/testing';
import { buildRunReport } from './run-report.js';
import { writeRunReport } from './write-report.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runwarden-report-'));
  dirs.push(dir);
  return dir;
};

describe('buildRunReport', () => {
  it('summarises outcome, step counts, durations, failures, archive and detection lag', () => {
    const event = completedEvent('run-7', [
      step('extract', 'succeeded'),
      step('transform', 'failed', { startedAt: '1764943200', finishedAt: '1764943245' }),
      step('load', 'skipped'),
    ]);
    const report = buildRunReport({
      event,
      archive: {
        status: 'archived',
        path: '/a/run-7.zip',
        bytes: 10,
        entries: 2,
        sha256: 'ab',
        verified: true,
      },
    });
    expect(report).toMatchObject({
      schemaVersion: 1,
      runId: 'run-7',
      outcome: 'failed',
      run: { durationMs: 60_000 },
      steps: { counts: { succeeded: 1, failed: 1, skipped: 1, total: 3 } },
      failures: [
        { stepId: 'transform', name: 'transform', error: 'transform exited with status 1' },
      ],
      archive: { status: 'archived', verified: true },
      detection: { eventId: 'run-7.completed', lagMs: 250 },
    });
    expect(report.steps.items.map((s) => s.durationMs)).toEqual([30_000, 45_000, 30_000]);
  });

  it('records a failed run with no failed step, and a missing archive job', () => {
    const report = buildRunReport({ event: completedEvent('r', [], 'failed') });
    expect(report.failures).toEqual([
      { stepId: null, name: '(run)', error: 'the run was marked failed with no failed step' },
    ]);
    expect(report.archive.status).toBe('skipped');
  });
});

describe('writeRunReport', () => {
  it('writes the same bytes when written twice and leaves no temp file', async () => {
    const dir = tempDir();
    const report = buildRunReport({ event: completedEvent('run-1', [step('a', 'succeeded')]) });
    const file = await writeRunReport(dir, report);
    const first = readFileSync(file, 'utf8');
    await writeRunReport(dir, report);
    expect(readFileSync(file, 'utf8')).toBe(first);
    expect(readdirSync(dir)).toEqual(['run-1_summary.json']);
    expect(JSON.parse(first).runId).toBe('run-1');
  });

  it('refuses a run id that would escape the reports folder', async () => {
    const report = buildRunReport({ event: completedEvent('../escape', []) });
    await expect(writeRunReport(tempDir(), report)).rejects.toBeInstanceOf(UnsafeRunIdError);
  });
});
