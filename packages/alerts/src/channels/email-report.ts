/**
 * What an email about a finished run carries of the run's HTML report
 * (`channels.email.report`). Reports and alerts are made in parallel, so the
 * report may not exist yet when the email goes:
 *
 *   attach ─▶ <paths.reports>/<run_id>_summary.html exists now? attached : the email says it was not written yet
 *   link   ─▶ <boardUrl>runs/<run_id>: the board's run page, there as soon as the run is recorded, linking the reports
 *   both   ─▶ with boardUrl set, attach also links the run page
 *
 * Only `run_completed` events get this (a digest lists at most
 * {@link MAX_REPORTS} of them). A retry reads the folder again, so it may
 * attach a report the first attempt could not.
 */
import { readFile } from 'node:fs/promises';
import {
  escapeHtml,
  locateRunFile,
  runPagePath,
  type EmailReportMode,
  type RunFileLocation,
} from '@runwarden/core';
import type { Notification } from '../notification.js';

/** Runs whose report one email links or attaches. */
export const MAX_REPORTS = 5;
/** A report larger than this is linked, not attached. */
const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

export interface EmailReportOptions {
  /** @defaultValue 'attach' */
  mode?: EmailReportMode;
  /** The board's public address; links go to `<boardUrl>runs/<run_id>`. */
  boardUrl?: string;
  /** `paths.reports`, where the report worker writes `<run_id>_summary.html`. */
  reportsDir?: string;
}

export interface EmailReportParts {
  /** One line per run, for the plain-text part. */
  lines: string[];
  /** The same as HTML list items (escaped). */
  items: string[];
  attachments: { filename: string; content: Buffer; contentType: string }[];
}

/** `<boardUrl>runs/<run_id>` with the run id percent-encoded. */
export function runPageUrl(boardUrl: string, runId: string): string {
  return new URL(runPagePath(runId), boardUrl.endsWith('/') ? boardUrl : `${boardUrl}/`).href;
}

export async function emailReportParts(
  n: Notification,
  options: EmailReportOptions,
): Promise<EmailReportParts> {
  const parts: EmailReportParts = { lines: [], items: [], attachments: [] };
  const mode = options.mode ?? 'attach';
  if (mode === 'none') return parts;
  const runs = [
    ...new Set(n.events.filter((e) => e.type === 'run_completed').map((e) => e.runId)),
  ].slice(0, MAX_REPORTS);
  for (const runId of runs) {
    const page = options.boardUrl ? runPageUrl(options.boardUrl, runId) : undefined;
    const onBoard = page ? ` Timeline, archive and reports: ${page}` : '';
    const link = page
      ? ` <a href="${escapeHtml(page)}">Open run ${escapeHtml(runId)} on the board</a>`
      : '';
    if (mode === 'link' || !options.reportsDir) {
      if (page) {
        parts.lines.push(`Run ${runId}:${onBoard}`);
        parts.items.push(`<li>${link}</li>`);
      }
      continue;
    }
    let found: RunFileLocation;
    try {
      found = await locateRunFile(options.reportsDir, runId, '_summary.html');
    } catch {
      continue; // an unsafe run id has no report file
    }
    const name = `${runId}_summary.html`;
    let said: string;
    if ('outside' in found)
      said = `The HTML report of run ${runId} was not attached: ${name} in the reports folder leads to ${found.outside}, outside that folder (check who replaced it with a link).`;
    else if ('absent' in found)
      said = `The HTML report of run ${runId} was not written yet when this email was sent (reports and alerts are made in parallel); it will be ${name} in the reports folder.`;
    else if (found.bytes > MAX_ATTACHMENT_BYTES)
      said = `The HTML report of run ${runId} (${name}) is ${Math.round(found.bytes / 1024)} KiB, too large to attach.`;
    else {
      parts.attachments.push({
        filename: name,
        // The bytes, read now from the file located above (not a path nodemailer would open again).
        content: await readFile(found.file),
        contentType: 'text/html; charset=utf-8',
      });
      said = `The HTML report of run ${runId} is attached (${name}).`;
    }
    parts.lines.push(`${said}${onBoard}`);
    parts.items.push(`<li>${escapeHtml(said)}${link}</li>`);
  }
  return parts;
}
