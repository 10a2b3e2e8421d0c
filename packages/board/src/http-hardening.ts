/**
 * What a browser needs to be told so the board cannot be turned against the
 * person logged in to it:
 *
 *   every response ──▶ no framing (X-Frame-Options, CSP frame-ancestors), no caching, no sniffing
 *   POST/PUT/PATCH/DELETE ──▶ same origin (Sec-Fetch-Site, else Origin vs Host) ──▶ JSON body only
 *
 * Basic auth is sent by the browser with every request to the board, a
 * cross-site form's included; a form cannot send `application/json` nor make
 * a browser claim `Sec-Fetch-Site: same-origin`, so these two checks stop it.
 * Clients that are not browsers (curl, scripts) send neither header and pass.
 */
import type { Logger } from '@runwarden/core';
import type { ErrorRequestHandler, RequestHandler } from 'express';

const SECURITY_HEADERS: Record<string, string> = {
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why a browser request did not come from the board's own pages, or undefined when it did. */
export function crossSiteReason(headers: {
  'sec-fetch-site'?: string | string[];
  origin?: string | string[];
  host?: string | string[];
  'x-forwarded-host'?: string | string[];
}): string | undefined {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string') {
    return site === 'same-origin' || site === 'none'
      ? undefined
      : `the browser says it comes from a ${site} page`;
  }
  const origin = headers.origin;
  if (typeof origin !== 'string') return undefined;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return `its Origin ${JSON.stringify(origin.slice(0, 100))} is not a URL`;
  }
  const hosts = [headers.host, headers['x-forwarded-host']]
    .flatMap((h) => (typeof h === 'string' ? h.split(',') : []))
    .map((h) => h.trim().toLowerCase());
  return hosts.includes(originHost.toLowerCase())
    ? undefined
    : `its Origin ${originHost} is not this board`;
}

function hasBody(headers: Record<string, unknown>): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Refuses state-changing requests from other sites, and bodies that are not JSON. */
export function sameOriginJsonOnly(): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const crossSite = crossSiteReason(req.headers);
    if (crossSite) {
      res.status(403).json({
        error: `Refused: this ${req.method} request changes jobs, and ${crossSite}. Use the board's own page, or a client that is not a browser.`,
      });
      return;
    }
    const type = req.headers['content-type'];
    if ((type !== undefined || hasBody(req.headers)) && !req.is('application/json')) {
      res.status(415).json({
        error: `Refused: the board accepts only application/json bodies, not ${JSON.stringify(type ?? 'none').slice(0, 80)}.`,
      });
      return;
    }
    next();
  };
}

/**
 * Express's default error page shows the stack trace outside production; a
 * malformed JSON body must get a short JSON answer instead.
 */
export function jsonErrors(logger: Logger): ErrorRequestHandler {
  return (
    err: { status?: number; statusCode?: number; type?: string; message?: string },
    req,
    res,
    next,
  ) => {
    if (res.headersSent) return next(err);
    const status = err.status ?? err.statusCode ?? 500;
    if (status >= 500)
      logger.error(
        { err: err.message, method: req.method, path: req.path },
        `The board failed to answer ${req.method} ${req.path}: ${err.message ?? 'unknown error'}`,
      );
    res.status(status >= 400 && status < 600 ? status : 500).json({
      error:
        err.type === 'entity.parse.failed'
          ? 'The request body is not valid JSON.'
          : status < 500
            ? 'The request could not be read.'
            : 'The board failed to answer; see its log.',
    });
  };
}
