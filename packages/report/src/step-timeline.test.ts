import { stallPeriods, type RunwardenEvent } from '@runwarden/core';
import { describe, expect, it } from 'vitest';
import { completedEvent, step } from '@runwarden/testing';
import { renderReportHtml } from './html-report.js';
import { buildRunReport } from './run-report.js';
import { renderStepTimeline } from './step-timeline.js';

const t = (s: number) => new Date(Date.parse('2025-12-05T14:00:00Z') + s * 1000).toISOString();

function event() {
  const e = completedEvent('run-9', [
    step('s1', 'succeeded', { name: 'fetch', startedAt: t(0), finishedAt: t(40) }),
    step('s2', 'failed', { name: 'train <gpu>', startedAt: t(40), finishedAt: t(100) }),
  ]);
  e.run.startedAt = t(0);
  e.run.finishedAt = t(100);
  return e;
}

/** `left:…%;width:…%` of the stall bands, as numbers. */
function bands(html: string): { stall: string; left: number; width: number }[] {
  return [
    ...html.matchAll(
      /class="stall" data-stall="(\d+)"[^>]*style="left:([\d.]+)%;width:([\d.]+)%"/g,
    ),
  ].map((m) => ({ stall: m[1]!, left: Number(m[2]), width: Number(m[3]) }));
}

describe('the step timeline', () => {
  it("shades each stall over the axis: a recovered one to its recovery, an open one to the run's end, clipped to the run", () => {
    const stalls = [
      { stall: 1, from: t(10), to: t(30) },
      { stall: 2, from: t(-50), to: t(5) },
      { stall: 3, from: t(70), to: null },
    ];
    const html = renderStepTimeline({ ...buildRunReport({ event: event() }), stalls });
    expect(bands(html)).toEqual([
      { stall: '1', left: 10, width: 20 },
      { stall: '2', left: 0, width: 5 },
      { stall: '3', left: 70, width: 30 },
    ]);
    expect(html).toContain('the end of the run (no recovery seen)');
    expect(html).toContain('✘ train &lt;gpu&gt;');
  });

  it('draws no stall layer for a run that never stalled', () => {
    const html = renderStepTimeline(buildRunReport({ event: event() }));
    expect(html).not.toContain('class="stalls"');
    expect(bands(html)).toEqual([]);
  });

  it('gets its stalls into the HTML report from the run_completed event, as stallPeriods reads the outbox', () => {
    const stalled = {
      id: 'run-9.stalled.1',
      type: 'run_stalled',
      runId: 'run-9',
      pipeline: 'etl',
      detectedAt: t(45),
      changedAt: t(15),
      state: 'running',
      lastChangeAt: t(15),
      stalledForMs: 30_000,
      stepCounts: event().stepCounts,
      stall: 1,
    } as RunwardenEvent;
    const recovered = {
      id: 'run-9.recovered.1',
      type: 'run_recovered',
      runId: 'run-9',
      pipeline: 'etl',
      detectedAt: t(41),
      changedAt: t(40),
      state: 'running',
      stalledEventId: 'run-9.stalled.1',
      stall: 1,
    } as RunwardenEvent;
    const stalls = stallPeriods([recovered, stalled]);
    expect(stalls).toEqual([{ stall: 1, from: t(15), to: t(40) }]);
    const report = buildRunReport({ event: { ...event(), stalls } });
    expect(report.stalls).toEqual(stalls);
    expect(bands(renderReportHtml(report))).toEqual([{ stall: '1', left: 15, width: 25 }]);
    expect(buildRunReport({ event: event() })).not.toHaveProperty('stalls');
  });
});
