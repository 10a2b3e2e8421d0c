/**
 * A run's page on the board: its facts, the step timeline (the report's own
 * renderer, stalls shaded from the run's run_stalled / run_recovered events),
 * failures, and every alert recorded for it. Built from the run_completed
 * event the scanner recorded, so it exists as soon as the run is detected,
 * before (or without) a report.
 */
import { stallPeriods, escapeHtml as esc } from '@runwarden/core';
import { buildRunReport, formatMs, renderStepTimeline } from '@runwarden/report';
import type { RunDetail } from '@runwarden/store';
import {
  alertsCell,
  archiveCell,
  badge,
  detectionLag,
  durationOf,
  pageShell,
  reportCell,
} from './runs-page.js';

function alertsTable(run: RunDetail): string {
  if (run.alerts.length === 0) return '<p>No alert was recorded for this run.</p>';
  const rows = run.alerts.map(
    (a) =>
      `<tr><td>${esc(a.at)}</td><td>${esc(a.rule)}</td><td>${esc(a.severity)}</td><td>${esc(a.channel)}</td><td>${esc(a.status)}</td><td>${esc(a.detail ?? '')}</td></tr>`,
  );
  return `<table><thead><tr><th>at</th><th>rule</th><th>severity</th><th>channel</th><th>outcome</th><th>detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderRunPage(base: string, run: RunDetail): string {
  const event = run.event;
  if (event.type !== 'run_completed')
    return pageShell(`Run ${run.runId}`, base, `<h1>Run ${esc(run.runId)}</h1><p>No timeline.</p>`);
  const fromEvents = stallPeriods(run.stallEvents);
  const report = buildRunReport({
    event: { ...event, ...(fromEvents.length ? { stalls: fromEvents } : {}) },
  });
  const failures = report.failures.length
    ? `<h2>Failures</h2><ul>${report.failures.map((f) => `<li><b>${esc(f.name)}</b>: ${esc(f.error ?? 'no error text')}</li>`).join('')}</ul>`
    : '';
  const c = report.steps.counts;
  const body = `<h1>Run ${esc(run.runId)} ${badge(run.outcome)}</h1>
<table>
<tr><th>pipeline</th><td>${esc(run.pipeline ?? '—')}</td></tr>
<tr><th>started</th><td>${esc(run.startedAt ?? '—')}</td></tr>
<tr><th>finished</th><td>${esc(run.finishedAt ?? '—')}</td></tr>
<tr><th>duration</th><td>${formatMs(durationOf(run))}</td></tr>
<tr><th>steps</th><td>${c.succeeded} succeeded, ${c.failed} failed, ${c.skipped} skipped, ${c.canceled} canceled of ${c.total}</td></tr>
<tr><th>detected</th><td>${esc(run.detectedAt)} (${formatMs(detectionLag(run))} after the last change)</td></tr>
<tr><th>stalls</th><td>${report.stalls?.length ?? 0}</td></tr>
<tr><th>archive</th><td>${archiveCell(base, run)}</td></tr>
<tr><th>report</th><td>${reportCell(base, run)}</td></tr>
<tr><th>alerts</th><td>${alertsCell(run.alerts)}</td></tr>
</table>
<h2>Step timeline</h2>
${renderStepTimeline(report)}
${failures}
<h2>Alerts</h2>
${alertsTable(run)}`;
  return pageShell(`Run ${run.runId}: ${run.outcome}`, base, body);
}
