/**
 * The demo's stand-in for a real pipeline: it writes runs and steps into its
 * own orchestration database, through its own connection, the way an
 * orchestrator would, and fills each run's worktree with a few files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PIPELINE_SCHEMA_SQL } from '@runwarden/store';

export interface DemoRun {
  runId: string;
  pipeline: string;
  steps: string[];
}

export class DemoPipeline {
  private readonly db: Database.Database;

  constructor(dbPath: string, private readonly worktrees: string) {
    mkdirSync(path.dirname(dbPath), { recursive: true });
    this.db = new Database(dbPath);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(PIPELINE_SCHEMA_SQL);
  }

  private now(): string {
    return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  startRun(run: DemoRun): void {
    const t = this.now();
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO runs (run_id, pipeline, state, created_at, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(run.runId, run.pipeline, 'running', t, t, t);
      const step = this.db.prepare('INSERT INTO steps (step_id, run_id, name, state, updated_at) VALUES (?, ?, ?, ?, ?)');
      run.steps.forEach((name, i) => step.run(`${run.runId}-s${i + 1}`, run.runId, name, 'pending', t));
    })();
    this.writeWorktree(run);
  }

  setStep(run: DemoRun, name: string, state: 'running' | 'succeeded' | 'failed' | 'skipped', error: string | null = null): void {
    const t = this.now();
    const stepId = `${run.runId}-s${run.steps.indexOf(name) + 1}`;
    this.db
      .prepare(`UPDATE steps SET state = ?, error = ?, updated_at = ?, started_at = COALESCE(started_at, ?), finished_at = CASE WHEN ? IN ('running') THEN NULL ELSE ? END WHERE step_id = ?`)
      .run(state, error, t, t, state, t, stepId);
  }

  finishRun(run: DemoRun, state: 'succeeded' | 'failed' | 'canceled'): void {
    const t = this.now();
    this.db.prepare('UPDATE runs SET state = ?, finished_at = ?, updated_at = ? WHERE run_id = ?').run(state, t, t, run.runId);
  }

  private writeWorktree(run: DemoRun): void {
    const dir = path.join(this.worktrees, run.runId);
    mkdirSync(path.join(dir, 'output'), { recursive: true });
    writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ run: run.runId, pipeline: run.pipeline, steps: run.steps }, null, 2));
    writeFileSync(path.join(dir, 'output', 'data.csv'), Array.from({ length: 500 }, (_, i) => `${i},customer-${i},${(i * 7.31).toFixed(2)}`).join('\n'));
    writeFileSync(path.join(dir, 'run.log'), run.steps.map((s) => `[${run.runId}] ${s}: ok`).join('\n'));
  }

  close(): void {
    this.db.close();
  }
}
