/**
 * Writes a realistic pipeline history for the scanner benchmark: `runs` runs
 * of `stepsPerRun` steps, all finished long ago except `active` running ones.
 */
import Database from 'better-sqlite3';
import { PIPELINE_SCHEMA_SQL } from '@runwarden/store';

export interface HistoryOptions {
  runs: number;
  stepsPerRun: number;
  active: number;
  /** Time of the newest row (ms). */
  now: number;
}

export function writeHistory(file: string, o: HistoryOptions): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.exec(PIPELINE_SCHEMA_SQL);
  const run = db.prepare('INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)');
  const step = db.prepare('INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  db.transaction(() => {
    for (let i = 0; i < o.runs; i++) {
      const isActive = i >= o.runs - o.active;
      const runId = `run-${i}`;
      const created = o.now - (o.runs - i) * 60_000 - 3_600_000;
      const t = iso(isActive ? o.now - 1_000 : created + 600_000);
      const state = isActive ? 'running' : i % 20 === 0 ? 'failed' : 'succeeded';
      run.run(
        runId,
        `pipeline-${i % 7}`,
        state,
        iso(created),
        iso(created),
        isActive ? null : t,
        t,
      );
      for (let s = 0; s < o.stepsPerRun; s++) {
        const stepState = isActive
          ? s < o.stepsPerRun / 2
            ? 'succeeded'
            : 'pending'
          : state === 'failed' && s === o.stepsPerRun - 1
            ? 'failed'
            : 'succeeded';
        step.run(
          `${runId}-s${s}`,
          runId,
          `step-${s}`,
          stepState,
          iso(created),
          isActive ? null : t,
          t,
          stepState === 'failed' ? 'exit 1' : null,
        );
      }
    }
  })();
  db.close();
}
