/**
 * The pipeline side of the scanner benchmark, in its own process: updates
 * about `rate` steps per second of the active runs; every 10th update fails a
 * step (an event the scanner must catch). Prints `{"id","at"}` per event-making
 * commit on stdout, `at` taken right after the commit.
 */
import Database from 'better-sqlite3';

const [file, rateArg, secondsArg, activeArg, stepsArg, firstActiveArg] = process.argv.slice(2);
const rate = Number(rateArg);
const stepsPerRun = Number(stepsArg);
const active = Number(activeArg);
const firstActive = Number(firstActiveArg);
const db = new Database(file!);
db.pragma('busy_timeout = 5000');
const update = db.prepare(
  'UPDATE steps SET state = ?, finished_at = ?, updated_at = ?, error = ? WHERE step_id = ?',
);
const touchRun = db.prepare('UPDATE runs SET updated_at = ? WHERE run_id = ?');
const end = Date.now() + Number(secondsArg) * 1000;
let n = 0;

function tick(): void {
  if (Date.now() >= end) {
    db.close();
    process.exit(0);
  }
  const runIndex = firstActive + (n % active);
  // Only the last step flips, so runs never complete and the active set stays the same size.
  const stepId = `run-${runIndex}-s${stepsPerRun - 1}`;
  const now = new Date().toISOString();
  const fails = n % 10 === 0;
  update.run(
    fails ? 'failed' : 'running',
    fails ? now : null,
    now,
    fails ? 'bench failure' : null,
    stepId,
  );
  touchRun.run(now, `run-${runIndex}`);
  const at = Date.now();
  if (fails) process.stdout.write(`${JSON.stringify({ stepId, runId: `run-${runIndex}`, at })}\n`);
  n += 1;
  setTimeout(tick, 1000 / rate);
}
tick();
