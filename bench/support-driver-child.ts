/**
 * The pipeline side of the pipeline benchmark and the soak, in a process of
 * its own (forked with IPC): keeps `active` runs going, touches their steps
 * round-robin, completes the oldest ones at a steady rate (some failed),
 * starts a new run for each one completed, and freezes a few runs for longer
 * than the stall threshold before letting them move again.
 *
 *   setup: `active` runs (running, first step running) + small worktrees ─▶ {type:'ready'}
 *   {cmd:'go'} ─▶ every tick, one transaction: step touches, completions, new runs
 *             ─▶ {type:'completed', runId, outcome, at} with `at` taken right after COMMIT
 *   {cmd:'stop'} or `seconds` elapsed ─▶ {type:'done', …totals} and exit
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPipelineWriter } from '@runwarden/store';

export interface DriverOptions {
  db: string;
  worktrees: string;
  /** Run ids are `<runPrefix>-<n>`. */
  runPrefix: string;
  active: number;
  stepsPerRun: number;
  stepUpdatesPerSec: number;
  completionsPerSec: number;
  /** 0 = until told to stop. */
  seconds: number;
  /** Share of completions that fail (a step fails, the rest are skipped). */
  failRatio: number;
  /** Share of completions at which one other run is frozen for `stallMs`. */
  stallRatio: number;
  stallMs: number;
  filesPerRun: number;
  fileBytes: number;
  pipelines: number;
}

export type DriverMessage =
  | { type: 'ready'; active: number }
  | { type: 'completed'; runId: string; outcome: 'succeeded' | 'failed'; at: number }
  | { type: 'stalled' | 'resumed'; runId: string; at: number }
  | {
      type: 'done';
      started: number;
      completed: number;
      failed: number;
      stalls: number;
      touches: number;
    };

interface LiveRun {
  id: string;
  pipeline: string;
  step: number;
  frozenUntil: number;
}

const TICK_MS = 50;
const opts = JSON.parse(process.argv[2]!) as DriverOptions;
const writer = createPipelineWriter(opts.db);
const send = (m: DriverMessage) => process.send?.(m);
const payload = 'x'.repeat(opts.fileBytes);
const live: LiveRun[] = [];
let next = 0;
let cursor = 0;
const totals = { started: 0, completed: 0, failed: 0, stalls: 0, touches: 0 };

function startRun(): void {
  const id = `${opts.runPrefix}-${next}`;
  const pipeline = `p${next % opts.pipelines}`;
  next += 1;
  const folder = path.join(opts.worktrees, id);
  mkdirSync(folder, { recursive: true });
  for (let f = 0; f < opts.filesPerRun; f++)
    writeFileSync(path.join(folder, `out-${f}.txt`), `${id} ${f}\n${payload}`);
  const now = new Date().toISOString();
  writer.run({ runId: id, pipeline, state: 'running', createdAt: now, startedAt: now });
  for (let s = 0; s < opts.stepsPerRun; s++) {
    writer.step({
      stepId: `${id}.s${s}`,
      runId: id,
      name: `s${s}`,
      state: s === 0 ? 'running' : 'pending',
      startedAt: s === 0 ? now : null,
    });
  }
  live.push({ id, pipeline, step: 0, frozenUntil: 0 });
  totals.started += 1;
}

/** Touches the running step; every 4th touch of a run moves it on, never past its last step. */
function touch(run: LiveRun, now: string): void {
  if (totals.touches % 4 === 0 && run.step < opts.stepsPerRun - 1) {
    writer.step({
      stepId: `${run.id}.s${run.step}`,
      runId: run.id,
      name: `s${run.step}`,
      state: 'succeeded',
      finishedAt: now,
    });
    run.step += 1;
    writer.step({
      stepId: `${run.id}.s${run.step}`,
      runId: run.id,
      name: `s${run.step}`,
      state: 'running',
      startedAt: now,
    });
  } else {
    writer.step({
      stepId: `${run.id}.s${run.step}`,
      runId: run.id,
      name: `s${run.step}`,
      state: 'running',
      updatedAt: now,
    });
  }
  writer.run({ runId: run.id, pipeline: run.pipeline, state: 'running', updatedAt: now });
  totals.touches += 1;
}

function complete(run: LiveRun, fail: boolean, now: string): void {
  for (let s = 0; s < opts.stepsPerRun; s++) {
    const state =
      s < run.step
        ? 'succeeded'
        : s === run.step
          ? fail
            ? 'failed'
            : 'succeeded'
          : fail
            ? 'skipped'
            : 'succeeded';
    writer.step({
      stepId: `${run.id}.s${s}`,
      runId: run.id,
      name: `s${s}`,
      state,
      finishedAt: now,
      error: fail && s === run.step ? 'bench: step failed' : null,
    });
  }
  writer.run({
    runId: run.id,
    pipeline: run.pipeline,
    state: fail ? 'failed' : 'succeeded',
    finishedAt: now,
  });
}

let completionCredit = 0;
let touchCredit = 0;
let failCredit = 0;
let stallCredit = 0;

function tick(): void {
  const nowMs = Date.now();
  const now = new Date(nowMs).toISOString();
  const done: { runId: string; outcome: 'succeeded' | 'failed' }[] = [];
  const events: DriverMessage[] = [];
  writer.db.transaction(() => {
    touchCredit += (opts.stepUpdatesPerSec * TICK_MS) / 1000;
    for (let scanned = 0; touchCredit >= 1 && scanned < live.length; scanned++) {
      const run = live[(cursor = (cursor + 1) % live.length)]!;
      if (run.frozenUntil > nowMs) continue;
      if (run.frozenUntil > 0) {
        run.frozenUntil = 0;
        events.push({ type: 'resumed', runId: run.id, at: nowMs });
      }
      touch(run, now);
      touchCredit -= 1;
    }
    touchCredit = Math.min(touchCredit, 1);
    completionCredit += (opts.completionsPerSec * TICK_MS) / 1000;
    while (completionCredit >= 1) {
      completionCredit -= 1;
      const index = live.findIndex((r) => r.frozenUntil === 0);
      if (index < 0) break;
      const [run] = live.splice(index, 1);
      failCredit += opts.failRatio;
      const fail = failCredit >= 1;
      if (fail) failCredit -= 1;
      complete(run!, fail, now);
      done.push({ runId: run!.id, outcome: fail ? 'failed' : 'succeeded' });
      startRun();
      stallCredit += opts.stallRatio;
      if (stallCredit >= 1) {
        stallCredit -= 1;
        // Freeze the newest run that is not frozen: it has the longest to live, so it recovers before it completes.
        const victim = [...live].reverse().find((r) => r.frozenUntil === 0);
        if (victim) {
          victim.frozenUntil = nowMs + opts.stallMs;
          totals.stalls += 1;
          events.push({ type: 'stalled', runId: victim.id, at: nowMs });
        }
      }
    }
  })();
  const at = Date.now();
  for (const d of done) {
    totals.completed += 1;
    if (d.outcome === 'failed') totals.failed += 1;
    send({ type: 'completed', ...d, at });
  }
  for (const e of events) send(e);
}

let finished = false;
function finish(): void {
  if (finished) return;
  finished = true;
  clearInterval(timer);
  writer.close();
  const done: DriverMessage = { type: 'done', ...totals };
  if (process.send) process.send(done, () => process.disconnect());
  else process.exit(0);
}

writer.db.transaction(() => {
  for (let i = 0; i < opts.active; i++) startRun();
})();
send({ type: 'ready', active: live.length });
let timer: NodeJS.Timeout | undefined;
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'go' && !timer) {
    timer = setInterval(tick, TICK_MS);
    if (opts.seconds > 0) setTimeout(finish, opts.seconds * 1000);
  }
  if (m.cmd === 'stop') finish();
});
process.on('disconnect', () => process.exit(0));
// Ctrl+C reaches the whole process group: the parent decides when driving stops.
process.on('SIGINT', () => undefined);
