/**
 * HTTP Basic authentication for the board's UI and API. Credentials are
 * compared through SHA-256 digests with `timingSafeEqual`, so neither the
 * length nor a matching prefix of the password shows in response times.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

export interface BasicAuthOptions {
  user: string;
  password: string;
  /** Shown by browsers in the login prompt. @defaultValue 'runwarden board' */
  realm?: string;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function sameSecret(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

/** Parses `Authorization: Basic base64(user:password)`; undefined when absent or malformed. */
export function parseBasicAuth(
  header: string | undefined,
): { user: string; password: string } | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function basicAuth(options: BasicAuthOptions): RequestHandler {
  const user = digest(options.user);
  const password = digest(options.password);
  const challenge = `Basic realm="${options.realm ?? 'runwarden board'}", charset="UTF-8"`;
  return (req, res, next) => {
    const given = parseBasicAuth(req.headers.authorization);
    // Both comparisons always run, so a wrong user name costs as long as a wrong password.
    const userOk = sameSecret(given?.user ?? '', user);
    const passwordOk = sameSecret(given?.password ?? '', password);
    if (given && userOk && passwordOk) {
      next();
      return;
    }
    res
      .set('WWW-Authenticate', challenge)
      .status(401)
      .type('text/plain')
      .send(
        'Authentication required: log in with the board user and password (BOARD_USER / BOARD_PASSWORD).\n',
      );
  };
}
