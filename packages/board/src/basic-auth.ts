/**
 * HTTP Basic authentication for the board's UI and API. Credentials are
 * compared through SHA-256 digests with `timingSafeEqual`, so neither the
 * length nor a matching prefix of the password shows in response times.
 * An address that gives wrong credentials `maxFailures` times within
 * `windowMs` is answered 429 until the window ends, right password or not,
 * so the password cannot be guessed at the speed of the network.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

export interface BasicAuthOptions {
  user: string;
  password: string;
  /** Shown by browsers in the login prompt. @defaultValue 'runwarden board' */
  realm?: string;
  /** Wrong logins an address may make per window. @defaultValue 10 */
  maxFailures?: number;
  /** @defaultValue 900000 (15 minutes) */
  windowMs?: number;
  clock?: () => number;
  /** Told once per blocked address and window. */
  onBlocked?: (address: string, failures: number) => void;
}

/** Addresses remembered at most; the oldest are forgotten first, so a flood of addresses cannot fill memory. */
const MAX_TRACKED = 10_000;

/**
 * Failed logins per address in fixed windows. A success does not clear the
 * count: browsers send the password with every request, so clearing would
 * give a guesser sharing an address (a NAT, a proxy) new tries each time.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly clock: () => number,
  ) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  blockedFor(address: string): number {
    const entry = this.current(address);
    if (!entry || entry.count < this.maxFailures) return 0;
    return entry.since + this.windowMs - this.clock();
  }

  /** Counts a failure; returns the count in this window. */
  fail(address: string): number {
    const entry = this.current(address) ?? { count: 0, since: this.clock() };
    entry.count += 1;
    this.failures.delete(address);
    this.failures.set(address, entry);
    if (this.failures.size > MAX_TRACKED)
      this.failures.delete(this.failures.keys().next().value as string);
    return entry.count;
  }

  private current(address: string): { count: number; since: number } | undefined {
    const entry = this.failures.get(address);
    if (entry && this.clock() - entry.since >= this.windowMs) {
      this.failures.delete(address);
      return undefined;
    }
    return entry;
  }
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
  const maxFailures = options.maxFailures ?? 10;
  const limiter = new LoginLimiter(
    maxFailures,
    options.windowMs ?? 900_000,
    options.clock ?? Date.now,
  );
  return (req, res, next) => {
    const address = req.socket.remoteAddress ?? 'unknown';
    const waitMs = limiter.blockedFor(address);
    if (waitMs > 0) {
      res
        .set('Retry-After', String(Math.ceil(waitMs / 1_000)))
        .status(429)
        .type('text/plain')
        .send(
          `Too many failed logins from your address; try again in ${Math.ceil(waitMs / 60_000)} minute(s).\n`,
        );
      return;
    }
    const given = parseBasicAuth(req.headers.authorization);
    // Both comparisons always run, so a wrong user name costs as long as a wrong password.
    const userOk = sameSecret(given?.user ?? '', user);
    const passwordOk = sameSecret(given?.password ?? '', password);
    if (given && userOk && passwordOk) {
      next();
      return;
    }
    // A request without credentials is a browser asking for the login prompt, not a guess.
    if (req.headers.authorization !== undefined) {
      const failures = limiter.fail(address);
      if (failures === maxFailures) options.onBlocked?.(address, failures);
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
