/**
 * Writes a report atomically: a temporary file in the same folder, fsync,
 * rename, then fsync of the folder. A reader sees the old report or the new
 * one, never half of one, even after a crash.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathForRun } from '@runwarden/core';
import { renderReportHtml } from './html-report.js';
import type { RunReport } from './run-report.js';

export function reportPath(reportsDir: string, runId: string): string {
  return pathForRun(reportsDir, runId, '_summary.json');
}

export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'w', 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
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
