/**
 * The run report as one self-contained HTML page (`<run_id>_summary.html`):
 * no scripts, fonts or links to fetch, so it reads the same opened from disk,
 * mailed, or with the network off. Like the JSON, a pure function of the
 * report: rewriting it gives the same bytes.
 *
 *   header (outcome, duration, steps, detection lag) ─▶ failures
 *     ─▶ step timeline (a Gantt: one bar per step on the run's time axis) ─▶ archive
 */
import { parseTimestamp } from '@runwarden/core';
import type { RunReport, StepReport } from './run-report.js';

const esc = (text: unknown): string =>
  String(text ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  if (m < 60) return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const COLORS: Record<string, string> = {
  succeeded: '#2e7d32',
  failed: '#c62828',
  canceled: '#757575',
  skipped: '#9e9e9e',
  running: '#1565c0',
  pending: '#bdbdbd',
};

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212121;margin:24px;max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.badge{display:inline-block;padding:2px 8px;border-radius:4px;color:#fff;font-weight:600}
table{border-collapse:collapse}td,th{padding:3px 12px 3px 0;text-align:left;vertical-align:top}
.timeline{border:1px solid #e0e0e0;padding:8px;border-radius:4px}
.row{display:flex;align-items:center;height:26px}.label{width:200px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.track{position:relative;flex:1;height:16px;background:#f5f5f5}.bar{position:absolute;top:0;height:16px;border-radius:2px}
.dur{width:110px;text-align:right;font-variant-numeric:tabular-nums}.axis{display:flex;justify-content:space-between;margin-left:200px;margin-right:110px;color:#616161;font-size:12px}
.error{color:#c62828;white-space:pre-wrap}code{font-size:12px}`;

interface Span {
  step: StepReport;
  start: number;
  end: number;
}

function spansOf(report: RunReport): { spans: Span[]; from: number; to: number } | undefined {
  const runStart = parseTimestamp(report.run.startedAt ?? report.run.createdAt);
  const runEnd = parseTimestamp(report.run.finishedAt ?? report.run.updatedAt);
  const spans: Span[] = [];
  for (const step of report.steps.items) {
    const start = parseTimestamp(step.startedAt);
    if (start === undefined) continue;
    spans.push({ step, start, end: parseTimestamp(step.finishedAt) ?? runEnd ?? start });
  }
  const from = Math.min(...spans.map((s) => s.start), runStart ?? Infinity);
  const to = Math.max(...spans.map((s) => s.end), runEnd ?? -Infinity);
  return Number.isFinite(from) && Number.isFinite(to) ? { spans, from, to } : undefined;
}

function timeline(report: RunReport): string {
  const axis = spansOf(report);
  if (!axis) return '<p>No step has a start time, so there is no timeline.</p>';
  const total = Math.max(1, axis.to - axis.from);
  const byId = new Map(axis.spans.map((s) => [s.step.stepId, s]));
  const rows = report.steps.items.map((step) => {
    const span = byId.get(step.stepId);
    const color = COLORS[step.state] ?? '#9e9e9e';
    const mark = step.state === 'failed' ? '✘ ' : '';
    const bar = span
      ? `<div class="bar ${esc(step.state)}" style="left:${(((span.start - axis.from) / total) * 100).toFixed(3)}%;width:${Math.max(0.4, ((span.end - span.start) / total) * 100).toFixed(3)}%;background:${color}" title="${esc(`${step.name}: ${step.state}, ${formatMs(step.durationMs)}`)}"></div>`
      : '';
    return `<div class="row" data-step="${esc(step.stepId)}" data-state="${esc(step.state)}"><span class="label" title="${esc(step.name)}" style="color:${step.state === 'failed' ? COLORS.failed : 'inherit'}">${mark}${esc(step.name)}</span><div class="track">${bar}</div><span class="dur">${esc(span ? formatMs(step.durationMs) : step.state)}</span></div>`;
  });
  return `<div class="timeline" role="figure" aria-label="Step timeline">${rows.join('')}<div class="axis"><span>${new Date(axis.from).toISOString()}</span><span>${formatMs(total)}</span><span>${new Date(axis.to).toISOString()}</span></div></div>`;
}

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
${timeline(report)}
<h2>Archive</h2>
${archiveSection(report)}
</body></html>
`;
}
