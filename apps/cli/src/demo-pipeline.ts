/**
 * The demo's stand-in for a real pipeline: it writes runs and steps into its
 * own orchestration database, on its own connection, the way an orchestrator
 * would, and fills each run's worktree with a few files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPipelineWriter, type PipelineWriter } from '@runwarden/store';

export interface DemoRun {
  runId: string;
  pipeline: string;
  steps: string[];
}

type StepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export class DemoPipeline {
  private readonly writer: PipelineWriter;
  private readonly started = new Map<string, string>();

  constructor(
    dbPath: string,
    private readonly worktrees: string,
  ) {
    mkdirSync(path.dirname(dbPath), { recursive: true });
    this.writer = createPipelineWriter(dbPath);
  }

  startRun(run: DemoRun): void {
    const t = new Date().toISOString();
    this.started.set(run.runId, t);
    this.writeWorktree(run);
    this.writer.db.transaction(() => {
      this.writer.run({
        runId: run.runId,
        pipeline: run.pipeline,
        state: 'running',
        createdAt: t,
        startedAt: t,
      });
      run.steps.forEach((name, i) =>
        this.writer.step({
          stepId: `${run.runId}-s${i + 1}`,
          runId: run.runId,
          name,
          state: 'pending',
        }),
      );
    })();
  }

  setStep(run: DemoRun, name: string, state: StepState, error: string | null = null): void {
    const t = new Date().toISOString();
    const ended = state !== 'running' && state !== 'pending';
    this.writer.step({
      stepId: `${run.runId}-s${run.steps.indexOf(name) + 1}`,
      runId: run.runId,
      name,
      state,
      startedAt: this.started.get(run.runId) ?? t,
      finishedAt: ended ? t : null,
      error,
    });
  }

  finishRun(run: DemoRun, state: 'succeeded' | 'failed' | 'canceled'): void {
    const t = new Date().toISOString();
    this.writer.run({
      runId: run.runId,
      pipeline: run.pipeline,
      state,
      createdAt: this.started.get(run.runId) ?? t,
      startedAt: this.started.get(run.runId) ?? t,
      finishedAt: t,
    });
  }

  private writeWorktree(run: DemoRun): void {
    const dir = path.join(this.worktrees, run.runId);
    mkdirSync(path.join(dir, 'output'), { recursive: true });
    writeFileSync(
      path.join(dir, 'params.json'),
      JSON.stringify({ run: run.runId, pipeline: run.pipeline, steps: run.steps }, null, 2),
    );
    writeFileSync(
      path.join(dir, 'output', 'data.csv'),
      Array.from({ length: 500 }, (_, i) => `${i},customer-${i},${(i * 7.31).toFixed(2)}`).join(
        '\n',
      ),
    );
    writeFileSync(
      path.join(dir, 'run.log'),
      run.steps.map((s) => `[${run.runId}] ${s}: ok`).join('\n'),
    );
  }

  close(): void {
    this.writer.close();
  }
}
