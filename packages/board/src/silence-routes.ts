/**
 * Silences on the board (`<basePath>/silences`), server-rendered, working with
 * JavaScript off: a list of active and pending silences, a form to add one and
 * a button to expire each. Same storage as `runwarden silence`.
 *
 *   GET  silences              list + form (no forms when board.readOnly)
 *   POST silences              add   (form: matchers one per line, for, comment)
 *   POST silences/:id/expire   expire
 *
 * It is mounted before the board's JSON-only guard, since its forms post
 * urlencoded bodies; a POST from another site is refused all the same
 * (`crossSiteReason`: Sec-Fetch-Site, else Origin against Host), since Basic
 * auth credentials ride along with any request the browser makes.
 */
import {
  addSilence,
  expireSilence,
  formatMatcher,
  listSilences,
  parseMatcher,
  silenceState,
  SilenceError,
  SILENCE_FIELDS,
  type Silence,
} from '@runwarden/alerts';
import { DURATION_HINT, parseDuration, type Logger } from '@runwarden/core';
import express, { type Request, type Response, type Router } from 'express';
import type { Redis } from 'ioredis';
import { crossSiteReason } from './http-hardening.js';

export interface SilenceRoutesDeps {
  redis: Redis;
  prefix: string;
  readOnly: boolean;
  logger: Logger;
  clock?: () => number;
}

const esc = (t: unknown) => String(t ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(silences: Silence[], now: number, readOnly: boolean, message = ''): string {
  const rows = silences
    .map(
      (s) => `<tr><td><code>${esc(s.id.slice(0, 8))}</code></td><td>${silenceState(s, now)}</td>
<td>${s.matchers.map((m) => `<code>${esc(formatMatcher(m))}</code>`).join('<br>')}</td><td>${esc(s.startsAt)}</td><td>${esc(s.endsAt)}</td>
<td>${esc(s.createdBy)}</td><td>${esc(s.comment)}</td><td>${readOnly ? '' : `<form method="post" action="silences/${esc(s.id)}/expire"><button>Expire</button></form>`}</td></tr>`,
    )
    .join('\n');
  const form = readOnly
    ? '<p>The board is read-only: add silences with <code>runwarden silence add</code>.</p>'
    : `<h2>Add a silence</h2><form method="post" action="silences">
<p><label>Matchers, one per line (<code>field=value</code>, <code>!=</code>, <code>=~regex</code>, <code>!~</code>; fields: ${SILENCE_FIELDS.join(', ')})<br>
<textarea name="matchers" rows="3" cols="60" required placeholder="pipeline=nightly-etl&#10;type=run_stalled"></textarea></label></p>
<p><label>For <input name="for" value="2h" size="8" required></label> <label>Comment <input name="comment" size="40"></label> <label>By <input name="author" size="12" value="board"></label></p>
<p><button>Add silence</button></p></form>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>runwarden silences</title>
<style>body{font:14px system-ui,sans-serif;margin:24px}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}.msg{padding:8px;background:#fff3e0}</style></head>
<body><h1>Silences</h1>${message ? `<p class="msg" role="status">${esc(message)}</p>` : ''}
<p>Alerts an active silence covers are recorded in the ledger as <code>silenced</code> and not sent. <a href="./">Queues</a> · <a href="runs">Runs</a></p>
${silences.length ? `<table><thead><tr><th>id</th><th>state</th><th>matchers</th><th>starts</th><th>ends</th><th>by</th><th>comment</th><th></th></tr></thead><tbody>${rows}</tbody></table>` : '<p>No active or pending silences.</p>'}
${form}</body></html>`;
}

export function createSilenceRoutes(deps: SilenceRoutesDeps): Router {
  const clock = deps.clock ?? Date.now;
  const router = express.Router();
  const show = async (res: Response, status = 200, message = '') => {
    const now = clock();
    res
      .status(status)
      .type('html')
      .send(page(await listSilences(deps.redis, deps.prefix, now), now, deps.readOnly, message));
  };
  const guard = (req: Request, res: Response): boolean => {
    const refused = deps.readOnly
      ? 'The board is read-only.'
      : crossSiteReason(req.headers)
        ? `Refused: this request adds or ends a silence, and ${crossSiteReason(req.headers)}.`
        : undefined;
    if (refused) res.status(403).send(refused);
    return refused === undefined;
  };
  router.get('/silences', (_req, res, next) => show(res).catch(next));
  router.post(
    '/silences',
    express.urlencoded({ extended: false, limit: '16kb' }),
    (req, res, next) => {
      if (!guard(req, res)) return;
      const body = req.body as Record<string, string | undefined>;
      const now = clock();
      void (async () => {
        try {
          const matchers = String(body.matchers ?? '')
            .split(/\r?\n/)
            .filter((l) => l.trim())
            .map(parseMatcher);
          const ms = parseDuration(String(body.for ?? ''));
          if (!ms)
            throw new SilenceError(`for: expected ${DURATION_HINT}, got "${body.for ?? ''}"`);
          const s = await addSilence(
            deps.redis,
            deps.prefix,
            {
              matchers,
              endsAt: now + ms,
              createdBy: body.author || 'board',
              comment: body.comment ?? '',
            },
            now,
          );
          deps.logger.info(
            { silence: s.id },
            `Silence ${s.id} added on the board: ${s.matchers.map(formatMatcher).join(', ')} until ${s.endsAt}`,
          );
          res.redirect(303, 'silences');
        } catch (err) {
          if (err instanceof SilenceError) return show(res, 400, err.message);
          throw err;
        }
      })().catch(next);
    },
  );
  router.post('/silences/:id/expire', (req, res, next) => {
    if (!guard(req, res)) return;
    expireSilence(deps.redis, deps.prefix, String(req.params.id), clock())
      .then((s) => {
        deps.logger.info({ silence: s.id }, `Silence ${s.id} expired on the board`);
        res.redirect(303, '../../silences');
      })
      .catch((err: unknown) =>
        err instanceof SilenceError ? show(res, 404, err.message) : next(err),
      );
  });
  return router;
}
