/**
 * Writes a run's reports with core's atomic write: a reader sees the old
 * report or the new one, never half of one, even after a crash.
 */
import { pathForRun, writeFileAtomic } from '@runwarden/core';
import { renderReportHtml } from './html-report.js';
import type { RunReport } from './run-report.js';

export function reportPath(reportsDir: string, runId: string): string {
  return pathForRun(reportsDir, runId, '_summary.json');
}

/** Writes `reports/<run_id>_summary.json`; returns its path. */
export async function writeRunReport(reportsDir: string, report: RunReport): Promise<string> {
  const file = reportPath(reportsDir, report.runId);
  await writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/** Writes `reports/<run_id>_summary.html` beside the JSON; returns its path. */
export async function writeRunReportHtml(reportsDir: string, report: RunReport): Promise<string> {
  const file = pathForRun(reportsDir, report.runId, '_summary.html');
  await writeFileAtomic(file, renderReportHtml(report));
  return file;
}
