/**
 * The runs view (`<basePath>/runs`): recent finished runs, a run's page with
 * its step timeline, and the run's archive and reports, all behind the
 * board's login. Read-only: the database through `openRunHistory` (SQLite
 * `readonly`), files only where the ledger says they are.
 *
 *   GET runs                        list; query: pipeline, outcome, window (1h 24h 7d 30d all)
 *   GET runs/:runId                 run page (timeline, archive, report, alerts)
 *   GET runs/:runId/archive.zip     the zip: ledger says archived, <paths.archive>/<run_id>.zip
 *   GET runs/:runId/report.json     the report: ledger has a report, <paths.reports>/<run_id>_summary.json
 *   GET runs/:runId/report.html     its HTML page beside it (when report.html is on)
 *
 * A file is served only when the ledger names it, from the board's own
 * folders (`pathForRun`: a safe run id, resolved inside the folder) after
 * `realpath`, so neither `..` nor a symbolic link leads outside.
 */
import path from 'node:path';
import {
  locateRunFile,
  parseDuration,
  pathForRun,
  RunwardenError,
  UnsafeRunIdError,
  type Logger,
} from '@runwarden/core';
import { openRunHistory, type RunDetail } from '@runwarden/store';
import express, { type Request, type Response, type Router } from 'express';
import { renderRunPage } from './run-page.js';
import { OUTCOMES, renderRunsPage, WINDOWS, type RunsFilterForm } from './runs-page.js';

export interface RunRoutesDeps {
  /** The pipeline's database (config.database); opened read-only per request. */
  database: string;
  archiveDir: string;
  reportsDir: string;
  logger: Logger;
  clock?: () => number;
  /** Runs listed at most. @defaultValue 100 */
  limit?: number;
}

/** No script at all, styles inline only, nothing fetched from elsewhere. */
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/** A served HTML report: the same, and sandboxed (it is a file on disk, not the board). */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox";

const MAX_RUN_ID_CHARS = 1_000;

const one = (v: unknown): string => (typeof v === 'string' ? v : '');

function filterOf(req: Request): RunsFilterForm {
  const window = one(req.query.window);
  return {
    pipeline: one(req.query.pipeline),
    outcome: (OUTCOMES as readonly string[]).includes(one(req.query.outcome))
      ? one(req.query.outcome)
      : '',
    window: (WINDOWS as readonly string[]).includes(window) ? window : '7d',
  };
}

/** A database that cannot be read is a message on the page, not an error page. */
function unreadableMessage(err: unknown): string | undefined {
  return err instanceof RunwardenError && err.code.startsWith('DATABASE_')
    ? err.message
    : undefined;
}

/** A file of a run the board serves, and when the ledger says it exists. */
interface RunFile {
  what: string;
  folder: string;
  suffix: string;
  named: (run: RunDetail) => boolean;
  headers: (name: string) => Record<string, string>;
}

function runFiles(deps: RunRoutesDeps): Record<string, RunFile> {
  const as = (kind: 'attachment' | 'inline', name: string) => ({
    'Content-Disposition': `${kind}; filename*=UTF-8''${encodeURIComponent(name)}`,
  });
  const reported = (run: RunDetail) => run.reportPath !== null;
  return {
    'archive.zip': {
      what: 'archive',
      folder: deps.archiveDir,
      suffix: '.zip',
      named: (run) =>
        run.archive?.status === 'archived' &&
        path.basename(run.archive.path ?? '') === `${run.runId}.zip`,
      headers: (name) => as('attachment', name),
    },
    'report.json': {
      what: 'report',
      folder: deps.reportsDir,
      suffix: '_summary.json',
      named: reported,
      headers: (name) => as('inline', name),
    },
    'report.html': {
      what: 'HTML report',
      folder: deps.reportsDir,
      suffix: '_summary.html',
      named: reported,
      headers: (name) => ({ ...as('inline', name), 'Content-Security-Policy': REPORT_CSP }),
    },
  };
}

export function createRunRoutes(deps: RunRoutesDeps): Router {
  const clock = deps.clock ?? Date.now;
  const limit = deps.limit ?? 100;
  const history = openRunHistory(deps.database);
  const log = deps.logger;
  const router = express.Router();
  router.use('/runs', (_req, res, next) => {
    res.set('Content-Security-Policy', PAGE_CSP);
    next();
  });

  router.get('/runs', (req, res) => {
    const filter = filterOf(req);
    const windowMs = filter.window === 'all' ? undefined : parseDuration(filter.window);
    const base = req.baseUrl;
    try {
      const runs = history.listRuns({
        ...(filter.pipeline ? { pipeline: filter.pipeline } : {}),
        ...(filter.outcome ? { outcome: filter.outcome } : {}),
        ...(windowMs ? { since: new Date(clock() - windowMs).toISOString() } : {}),
        limit,
      });
      res
        .type('html')
        .send(renderRunsPage({ base, filter, pipelines: history.pipelines(), runs, limit }));
    } catch (err) {
      const message = unreadableMessage(err);
      if (!message) throw err;
      log.warn({ err: message }, `The runs view could not read the database: ${message}`);
      res
        .status(503)
        .type('html')
        .send(renderRunsPage({ base, filter, pipelines: [], runs: [], limit, message }));
    }
  });

  /** The run, or an answer already sent (400 bad id, 404 unknown run, 503 unreadable database). */
  const findRun = (req: Request, res: Response): RunDetail | undefined => {
    const runId = String(req.params.runId ?? '');
    if (runId === '' || runId.length > MAX_RUN_ID_CHARS) {
      res.status(400).type('text').send('That is not a run id.\n');
      return undefined;
    }
    try {
      const run = history.runDetail(runId);
      if (!run)
        res
          .status(404)
          .type('text')
          .send(
            `No finished run ${JSON.stringify(runId)} is recorded: it may still be running, or the scanner has not seen it yet. See ${req.baseUrl}/runs.\n`,
          );
      return run;
    } catch (err) {
      const message = unreadableMessage(err);
      if (!message) throw err;
      res.status(503).type('text').send(`${message}\n`);
      return undefined;
    }
  };

  router.get('/runs/:runId', (req, res) => {
    const run = findRun(req, res);
    if (run) res.type('html').send(renderRunPage(req.baseUrl, run));
  });

  /** Sends `<folder>/<run_id><suffix>` when the ledger names it and it is really there. */
  const sendRunFile = async (req: Request, res: Response, spec: RunFile) => {
    const run = findRun(req, res);
    if (!run) return;
    let candidate: string;
    try {
      candidate = pathForRun(spec.folder, run.runId, spec.suffix);
    } catch (err) {
      if (!(err instanceof UnsafeRunIdError)) throw err;
      res
        .status(400)
        .type('text')
        .send(`Run ${JSON.stringify(run.runId)} has no ${spec.what}: ${err.message}\n`);
      return;
    }
    const found = spec.named(run)
      ? await locateRunFile(spec.folder, run.runId, spec.suffix)
      : { absent: true };
    if ('outside' in found)
      log.warn(
        { runId: run.runId, file: candidate, target: found.outside },
        `The board refused to serve the ${spec.what} of run ${run.runId}: ${candidate} leads to ${found.outside}, which is not a file in ${spec.folder}. Check who replaced it with a link`,
      );
    if (!('file' in found)) {
      res
        .status(404)
        .type('text')
        .send(
          `Run ${run.runId} has no ${spec.what} the board can serve: the ledger does not name one, or it is not in ${spec.folder} (removed by retention, or not written yet).\n`,
        );
      return;
    }
    await new Promise<void>((resolve, reject) =>
      res.sendFile(
        found.file,
        { dotfiles: 'allow', headers: spec.headers(path.basename(candidate)) },
        (err) => (err && !res.headersSent ? reject(err) : resolve()),
      ),
    );
  };

  for (const [name, spec] of Object.entries(runFiles(deps)))
    router.get(`/runs/:runId/${name}`, (req, res, next) => {
      sendRunFile(req, res, spec).catch(next);
    });
  return router;
}
