/**
 * The run report as one self-contained HTML page (`<run_id>_summary.html`):
 * no scripts, fonts or links to fetch, so it reads the same opened from disk,
 * mailed, or with the network off. Like the JSON, a pure function of the
 * report: rewriting it gives the same bytes.
 *
 *   header (outcome, duration, steps, detection lag) ─▶ failures
 *     ─▶ step timeline (step-timeline.ts, shared with the board: bars, stalls shaded) ─▶ archive
 */
import { escapeHtml as esc } from '@runwarden/core';
import type { RunReport } from './run-report.js';
import {
  formatMs,
  renderStepTimeline,
  STATE_COLORS as COLORS,
  TIMELINE_CSS,
} from './step-timeline.js';

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212121;margin:24px;max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.badge{display:inline-block;padding:2px 8px;border-radius:4px;color:#fff;font-weight:600}
table{border-collapse:collapse}td,th{padding:3px 12px 3px 0;text-align:left;vertical-align:top}
${TIMELINE_CSS}
.error{color:#c62828;white-space:pre-wrap}code{font-size:12px}`;

function archiveSection(report: RunReport): string {
  const a = report.archive;
  const rows: [string, unknown][] = [
    ['status', a.status],
    ['path', a.path],
    ['size', a.bytes === undefined ? undefined : `${a.bytes} bytes (${a.entries ?? '?'} entries)`],
    ['sha256', a.sha256 ? `<code>${esc(a.sha256)}</code>` : undefined],
    ['verified', a.verified],
    ['reason', a.reason],
  ];
  return `<table>${rows
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `<tr><th>${k}</th><td>${k === 'sha256' ? String(v) : esc(v)}</td></tr>`)
    .join('')}</table>`;
}

export function renderReportHtml(report: RunReport): string {
  const c = report.steps.counts;
  const failures = report.failures.length
    ? `<h2>Failures</h2><ul>${report.failures.map((f) => `<li><b>${esc(f.name)}</b>: <span class="error">${esc(f.error ?? 'no error text')}</span></li>`).join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Run ${esc(report.runId)}: ${esc(report.outcome)}</title><style>${CSS}</style></head>
<body>
<h1>Run ${esc(report.runId)} <span class="badge" style="background:${COLORS[report.outcome] ?? '#757575'}">${esc(report.outcome)}</span></h1>
<table>
<tr><th>pipeline</th><td>${esc(report.pipeline ?? '—')}</td></tr>
<tr><th>started</th><td>${esc(report.run.startedAt ?? report.run.createdAt)}</td></tr>
<tr><th>finished</th><td>${esc(report.run.finishedAt ?? '—')}</td></tr>
<tr><th>duration</th><td>${formatMs(report.run.durationMs)}</td></tr>
<tr><th>steps</th><td>${c.succeeded} succeeded, ${c.failed} failed, ${c.skipped} skipped, ${c.canceled} canceled of ${c.total}</td></tr>
<tr><th>detected</th><td>${esc(report.detection.detectedAt)} (${formatMs(report.detection.lagMs)} after the last change)</td></tr>
</table>
${failures}
<h2>Step timeline</h2>
${renderStepTimeline(report)}
<h2>Archive</h2>
${archiveSection(report)}
</body></html>
`;
}
