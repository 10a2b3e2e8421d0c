/**
 * The runs view's pages, server-rendered with no script: the list of recent
 * runs with its filter form (a GET form, so it works with JavaScript off and
 * a filtered list is a link one can share), and a run's page with the step
 * timeline the HTML report draws (`renderStepTimeline`, @runwarden/report).
 * Every text from the pipeline (run ids, step names, errors) is escaped.
 */
import { escapeHtml as esc, runPagePath } from '@runwarden/core';
import { formatMs, STATE_COLORS, TIMELINE_CSS } from '@runwarden/report';
import type { AlertRow, RunListing } from '@runwarden/store';

export const OUTCOMES = ['succeeded', 'failed', 'canceled'] as const;
/** The time windows the filter offers, as `parseDuration` reads them; `all` is none. */
export const WINDOWS = ['1h', '24h', '7d', '30d', 'all'] as const;

export interface RunsFilterForm {
  pipeline: string;
  outcome: string;
  window: string;
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212121;margin:24px}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:24px 0 8px}nav a{margin-right:12px}
table{border-collapse:collapse}td,th{border-bottom:1px solid #e0e0e0;padding:4px 10px;text-align:left;vertical-align:top}
.badge{display:inline-block;padding:1px 7px;border-radius:4px;color:#fff;font-weight:600}
.msg{padding:8px 12px;background:#fff3e0;border-left:4px solid #ef6c00}code{font-size:12px}.num{text-align:right;font-variant-numeric:tabular-nums}
.when{white-space:nowrap}.sha{font-family:monospace;font-size:11px;word-break:break-all;max-width:180px}form.filter{margin:8px 0 16px}form.filter label{margin-right:12px}
${TIMELINE_CSS}`;

export function badge(outcome: string): string {
  return `<span class="badge" style="background:${STATE_COLORS[outcome] ?? '#757575'}">${esc(outcome)}</span>`;
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function durationOf(run: Pick<RunListing, 'startedAt' | 'finishedAt'>): number | null {
  const a = Date.parse(run.startedAt ?? '');
  const b = Date.parse(run.finishedAt ?? '');
  return Number.isNaN(a) || Number.isNaN(b) ? null : Math.max(0, b - a);
}

export function detectionLag(run: Pick<RunListing, 'changedAt' | 'detectedAt'>): number | null {
  const a = Date.parse(run.changedAt ?? '');
  const b = Date.parse(run.detectedAt);
  return Number.isNaN(a) || Number.isNaN(b) ? null : Math.max(0, b - a);
}

/** Where a run's pages and files are, under the board's base path. */
export function runHref(base: string, runId: string, file = ''): string {
  return `${base}/${runPagePath(runId)}${file ? `/${file}` : ''}`;
}

export function archiveCell(base: string, run: RunListing): string {
  const a = run.archive;
  if (!a) return 'not recorded yet';
  if (a.status !== 'archived') return `${esc(a.status)}${a.reason ? `: ${esc(a.reason)}` : ''}`;
  return `<a href="${esc(runHref(base, run.runId, 'archive.zip'))}" download>zip</a> ${formatBytes(a.bytes)}${a.verified ? ', verified' : ''}<div class="sha" title="SHA-256">${esc(a.sha256 ?? '')}</div>`;
}

export function reportCell(base: string, run: RunListing): string {
  if (!run.reportPath) return 'not written yet';
  return `<a href="${esc(runHref(base, run.runId, 'report.html'))}">HTML</a> · <a href="${esc(runHref(base, run.runId, 'report.json'))}">JSON</a>`;
}

export function alertsCell(alerts: AlertRow[]): string {
  const shown = alerts.filter((a) => a.channel !== '-');
  if (shown.length === 0) return alerts.length ? 'matched no channel' : 'none';
  return shown
    .map(
      (a) =>
        `<span title="${esc(`${a.severity} at ${a.at}${a.detail ? `: ${a.detail}` : ''}`)}">${esc(a.rule)} → ${esc(a.channel)}: ${esc(a.status)}</span>`,
    )
    .join('<br>');
}

/** A filter's drop-down; `any` (empty) first unless `anyOption` is false; the current value is always offered. */
function select(
  name: string,
  label: string,
  value: string,
  options: readonly string[],
  anyOption = true,
): string {
  const values = value && !options.includes(value) ? [value, ...options] : options;
  const opts = values
    .map((o) => `<option value="${esc(o)}"${o === value ? ' selected' : ''}>${esc(o)}</option>`)
    .join('');
  return `<label>${label} <select name="${name}">${anyOption ? '<option value="">any</option>' : ''}${opts}</select></label>`;
}

export function pageShell(title: string, base: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head>
<body><nav><a href="${esc(base)}/runs">Runs</a><a href="${esc(base)}/silences">Silences</a><a href="${esc(base)}/">Queues</a></nav>
${body}</body></html>`;
}

export function renderRunsPage(options: {
  base: string;
  filter: RunsFilterForm;
  pipelines: string[];
  runs: RunListing[];
  limit: number;
  message?: string;
}): string {
  const { base, filter, runs } = options;
  const windows = select('window', 'Window', filter.window, WINDOWS, false);
  const form = `<form class="filter" method="get" action="${esc(base)}/runs">${select('pipeline', 'Pipeline', filter.pipeline, options.pipelines)}${select('outcome', 'Outcome', filter.outcome, OUTCOMES)}${windows}<button>Filter</button></form>`;
  const rows = runs.map(
    (
      r,
    ) => `<tr data-run="${esc(r.runId)}"><td><a href="${esc(runHref(base, r.runId))}">${esc(r.runId)}</a></td><td>${esc(r.pipeline ?? '—')}</td><td>${badge(r.outcome)}</td>
<td class="when">${esc(r.finishedAt ?? '—')}</td><td class="num">${formatMs(durationOf(r))}</td><td class="num">${r.stepTotal}${r.stepFailed ? ` (${r.stepFailed} failed)` : ''}</td><td class="num">${formatMs(detectionLag(r))}</td>
<td>${archiveCell(base, r)}</td><td>${reportCell(base, r)}</td><td>${alertsCell(r.alerts)}</td></tr>`,
  );
  const table = runs.length
    ? `<table><thead><tr><th>run</th><th>pipeline</th><th>outcome</th><th>finished</th><th>duration</th><th>steps</th><th>detection lag</th><th>archive</th><th>report</th><th>alerts</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>
${runs.length >= options.limit ? `<p>Showing the ${options.limit} most recent; narrow the filter to see older runs.</p>` : ''}`
    : options.message
      ? ''
      : '<p>No finished run matches this filter.</p>';
  return pageShell(
    'runwarden runs',
    base,
    `<h1>Recent runs</h1>${options.message ? `<p class="msg" role="alert">${esc(options.message)}</p>` : ''}${form}${table}`,
  );
}
