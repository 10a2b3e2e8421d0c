/**
 * The step timeline, one renderer for the HTML report and the board's run
 * page: a Gantt of the steps on the run's time axis, failed steps marked,
 * stalls shaded across every row. Plain HTML and CSS (no scripts), every
 * text escaped: step names and run ids come from the pipeline.
 *
 *   report.run + steps.items + stalls ─▶ axis (earliest start … latest end)
 *     ─▶ one row per step (bar at start…end, or none when it never started)
 *     ─▶ stall layer over the rows (from … to, or the run's end while open)
 */
import { escapeHtml, parseTimestamp, type StallPeriod } from '@runwarden/core';
import type { RunReport, StepReport } from './run-report.js';

export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  if (m < 60) return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const STATE_COLORS: Record<string, string> = {
  succeeded: '#2e7d32',
  failed: '#c62828',
  canceled: '#757575',
  skipped: '#9e9e9e',
  running: '#1565c0',
  pending: '#bdbdbd',
};

/** The timeline's style rules; a page that shows a timeline includes them once. */
export const TIMELINE_CSS = `.timeline{border:1px solid #e0e0e0;padding:8px;border-radius:4px}
.plot{position:relative}.row{display:flex;align-items:center;height:26px}.label{width:200px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.track{position:relative;flex:1;height:16px;background:#f5f5f5}.bar{position:absolute;top:0;height:16px;border-radius:2px}
.dur{width:110px;text-align:right;font-variant-numeric:tabular-nums}.axis{display:flex;justify-content:space-between;margin-left:200px;margin-right:110px;color:#616161;font-size:12px}
.stalls{position:absolute;top:0;bottom:0;left:200px;right:110px;pointer-events:none}
.stall{position:absolute;top:0;bottom:0;box-sizing:border-box;background:repeating-linear-gradient(135deg,rgba(239,108,0,.28) 0 6px,rgba(239,108,0,.12) 6px 12px);border-left:2px solid #ef6c00;border-right:2px solid #ef6c00}
.legend{color:#616161;font-size:12px;margin:6px 0 0}.legend .swatch{display:inline-block;width:14px;height:10px;vertical-align:middle;background:rgba(239,108,0,.35);border:1px solid #ef6c00}`;

/** What the timeline draws: a run report, or one built from a run_completed event. */
export type TimelineInput = Pick<RunReport, 'run' | 'steps'> & { stalls?: StallPeriod[] };

interface Span {
  start: number;
  end: number;
}

interface Axis {
  steps: Map<string, Span>;
  stalls: (Span & { period: StallPeriod })[];
  from: number;
  to: number;
}

function axisOf(input: TimelineInput): Axis | undefined {
  const runStart = parseTimestamp(input.run.startedAt ?? input.run.createdAt);
  const runEnd = parseTimestamp(input.run.finishedAt ?? input.run.updatedAt);
  const steps = new Map<string, Span>();
  for (const step of input.steps.items) {
    const start = parseTimestamp(step.startedAt);
    if (start === undefined) continue;
    steps.set(step.stepId, { start, end: parseTimestamp(step.finishedAt) ?? runEnd ?? start });
  }
  const spans = [...steps.values()];
  const from = Math.min(...spans.map((s) => s.start), runStart ?? Infinity);
  const to = Math.max(...spans.map((s) => s.end), runEnd ?? -Infinity);
  if (!Number.isFinite(from) || !Number.isFinite(to)) return undefined;
  const stalls = (input.stalls ?? []).flatMap((period) => {
    const start = parseTimestamp(period.from);
    if (start === undefined) return [];
    // Open (never recovered): stalled until the run ended.
    const end = parseTimestamp(period.to) ?? to;
    const clipped = { start: Math.max(from, start), end: Math.min(to, end) };
    return clipped.end > clipped.start ? [{ ...clipped, period }] : [];
  });
  return { steps, stalls, from, to };
}

const pct = (ms: number, total: number) => ((ms / total) * 100).toFixed(3);

function stepRow(step: StepReport, span: Span | undefined, axis: Axis, total: number): string {
  const color = STATE_COLORS[step.state] ?? '#9e9e9e';
  const mark = step.state === 'failed' ? '✘ ' : '';
  const bar = span
    ? `<div class="bar ${escapeHtml(step.state)}" style="left:${pct(span.start - axis.from, total)}%;width:${Math.max(0.4, ((span.end - span.start) / total) * 100).toFixed(3)}%;background:${color}" title="${escapeHtml(`${step.name}: ${step.state}, ${formatMs(step.durationMs)}`)}"></div>`
    : '';
  return `<div class="row" data-step="${escapeHtml(step.stepId)}" data-state="${escapeHtml(step.state)}"><span class="label" title="${escapeHtml(step.name)}" style="color:${step.state === 'failed' ? STATE_COLORS.failed : 'inherit'}">${mark}${escapeHtml(step.name)}</span><div class="track">${bar}</div><span class="dur">${escapeHtml(span ? formatMs(step.durationMs) : step.state)}</span></div>`;
}

function stallLayer(axis: Axis, total: number): string {
  if (axis.stalls.length === 0) return '';
  const bands = axis.stalls
    .map(
      (s) =>
        `<div class="stall" data-stall="${escapeHtml(s.period.stall)}" data-from="${escapeHtml(s.period.from)}" data-to="${escapeHtml(s.period.to ?? '')}" style="left:${pct(s.start - axis.from, total)}%;width:${pct(s.end - s.start, total)}%" title="${escapeHtml(`stall ${s.period.stall}: no change for ${formatMs(s.end - s.start)}`)}"></div>`,
    )
    .join('');
  return `<div class="stalls" aria-hidden="true">${bands}</div>`;
}

function legend(axis: Axis): string {
  if (axis.stalls.length === 0) return '';
  const items = axis.stalls.map(
    (s) =>
      `stall ${s.period.stall}: ${escapeHtml(s.period.from)} → ${escapeHtml(s.period.to ?? 'the end of the run (no recovery seen)')} (${formatMs(s.end - s.start)})`,
  );
  return `<p class="legend"><span class="swatch"></span> Shaded: the run was stalled, nothing changed. ${items.join('; ')}</p>`;
}

/** The timeline as an HTML fragment (needs {@link TIMELINE_CSS} on the page). */
export function renderStepTimeline(input: TimelineInput): string {
  const axis = axisOf(input);
  if (!axis) return '<p>No step has a start time, so there is no timeline.</p>';
  const total = Math.max(1, axis.to - axis.from);
  const rows = input.steps.items.map((step) =>
    stepRow(step, axis.steps.get(step.stepId), axis, total),
  );
  const omitted = input.steps.omittedSteps
    ? `<p class="legend">${escapeHtml(input.steps.omittedSteps)} more step(s) not shown (the run has more steps than a report lists).</p>`
    : '';
  return `<div class="timeline" role="figure" aria-label="Step timeline"><div class="plot">${rows.join('')}${stallLayer(axis, total)}</div><div class="axis"><span>${new Date(axis.from).toISOString()}</span><span>${formatMs(total)}</span><span>${new Date(axis.to).toISOString()}</span></div>${legend(axis)}${omitted}</div>`;
}
