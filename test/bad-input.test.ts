/**
 * Every bad input a user can give runwarden, each with the exact error it
 * produces: what went wrong, where, and what to do. One table; each row runs
 * the real code path (config loader, archive, store, Redis, channels) and
 * returns the text a person would read.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { sendTestAlert } from '@runwarden/alerts';
import { archiveRun } from '@runwarden/archive';
import { alertsConfigSchema, createLogger, loadConfig, pingRedis } from '@runwarden/core';
import { createScanCycle } from '@runwarden/scanner';
import {
  PIPELINE_SCHEMA_SQL,
  createPipelineReader,
  createScannerStore,
  describeSkippedRow,
  openOrchestrationDb,
  runMigrations,
} from '@runwarden/store';
import { freePort } from '@runwarden/testing';

const root = mkdtempSync(path.join(os.tmpdir(), 'runwarden-bad-input-'));
const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function folder(): string {
  const dir = path.join(root, String(n++));
  mkdirSync(dir, { recursive: true });
  return dir;
}

const OK_ALERTS = 'rules: []\n';

/** Loads a runwarden.yaml (and alerts.yaml) and returns the error text. */
async function configError(
  runwarden: string,
  alerts = OK_ALERTS,
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const dir = folder();
  writeFileSync(path.join(dir, 'alerts.yaml'), alerts);
  writeFileSync(path.join(dir, 'runwarden.yaml'), `alerts: alerts.yaml\n${runwarden}`);
  try {
    loadConfig({ cwd: dir, configPath: 'runwarden.yaml', env });
  } catch (err) {
    return (err as Error).message.replaceAll(dir, '<dir>');
  }
  throw new Error('expected a configuration error');
}

async function archiveError(runId: string): Promise<string> {
  const dir = folder();
  try {
    await archiveRun({
      runId,
      worktreesDir: path.join(dir, 'wt'),
      archiveDir: path.join(dir, 'archive'),
    });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an archive error');
}

async function dbError(prepare: (file: string) => void): Promise<string> {
  const file = path.join(folder(), 'orchestration.db');
  prepare(file);
  try {
    openOrchestrationDb(file).close();
  } catch (err) {
    return (err as Error).message.replaceAll(file, '<db>');
  }
  throw new Error('expected a database error');
}

/**
 * Rows a pipeline wrote (by a connection of its own), scanned once by the
 * scanner's real scan cycle: the skipped rows as the scanner names them.
 */
function skippedRows(rows: string): string {
  const file = path.join(folder(), 'orchestration.db');
  const pipeline = new Database(file);
  pipeline.exec(PIPELINE_SCHEMA_SQL);
  pipeline.exec(rows);
  pipeline.close();
  const db = openOrchestrationDb(file);
  try {
    runMigrations(db);
    const cycle = createScanCycle({
      reader: createPipelineReader(db),
      store: createScannerStore(db),
      logger: createLogger({ level: 'silent' }),
      stallThresholdMs: 60_000,
      clock: Date.now,
    });
    return cycle.scan().skipped.map(describeSkippedRow).join('\n');
  } finally {
    db.close();
  }
}

const NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

/** An HTTP server on 127.0.0.1 that always answers `status`; its URL. */
async function httpAnswering(
  status: number,
  headers: Record<string, string> = {},
): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    res
      .writeHead(status, headers)
      .end(status === 429 ? 'rate_limited' : status >= 400 ? 'internal_error' : 'ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/secret-token`;
}

/** An HTTP server on 127.0.0.1 that answers every request with `answer`; its URL (with a secret-looking path). */
async function httpDoing(answer: (res: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/secret-token`;
}

/** An SMTP server that offers AUTH without STARTTLS; fails the test if it is ever given a password. */
async function smtpWithoutTls(): Promise<number> {
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (_auth, _session, callback) => {
      callback(new Error('a password reached the server in clear'));
      throw new Error('a password reached the server in clear');
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve(undefined))));
  return (server.server.address() as AddressInfo).port;
}

async function smtpRefusing(): Promise<number> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo: (_address, _session, callback) =>
      callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 })),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve(undefined))));
  return (server.server.address() as AddressInfo).port;
}

async function channelError(
  channel: 'slack' | 'email' | 'webhook',
  channels: Record<string, unknown>,
): Promise<string> {
  const alerts = alertsConfigSchema.parse({ channels, rules: [] });
  const [result] = await sendTestAlert(alerts, { channel });
  expect(result?.ok).toBe(false);
  return result!.detail;
}

const cases: [string, () => Promise<string>, RegExp][] = [
  [
    'malformed YAML',
    () => configError('scanner: { pollInterval: 10s\n'),
    /<dir>\/runwarden\.yaml:\d+:\d+: invalid YAML: /,
  ],
  [
    'a YAML alias bomb ("billion laughs")',
    () =>
      configError(
        [
          'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
          ...Array.from(
            { length: 9 },
            (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`,
          ),
        ].join('\n'),
      ),
    /^<dir>\/runwarden\.yaml:3:10: invalid YAML: Excessive alias count indicates a resource exhaustion attack/,
  ],
  [
    'YAML nested 50,000 levels deep',
    () => configError(`x: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`),
    /^<dir>\/runwarden\.yaml:2:\d+: invalid YAML: Maximum call stack size exceeded/,
  ],
  [
    'a repeated key',
    () => configError('board:\n  port: 1\n  port: 2\n'),
    /<dir>\/runwarden\.yaml:4:3: invalid YAML: Map keys must be unique; "port" appears again here/,
  ],
  [
    'an unknown key',
    () => configError('archive:\n  concurency: 4\n'),
    /<dir>\/runwarden\.yaml:3:3: archive\.concurency: unknown key "concurency"/,
  ],
  [
    'a value of the wrong type',
    () => configError('archive:\n  concurrency: four\n'),
    /runwarden\.yaml:3:16: archive\.concurrency: expected number, got string "four"/,
  ],
  [
    'a bad duration',
    () => configError('scanner:\n  stallThreshold: half an hour\n'),
    /runwarden\.yaml:3:19: scanner\.stallThreshold: expected a duration like 100ms, 10s, 30m, 1h or 1d, got "half an hour"/,
  ],
  [
    'a bad retention size',
    () => configError('archive:\n  retention: { maxTotalSize: 10 gigs }\n'),
    /runwarden\.yaml:3:30: archive\.retention\.maxTotalSize: expected a size like 500MB, 10GB or 2TiB, got "10 gigs"/,
  ],
  [
    'a retention keepLast of 0',
    () => configError('archive:\n  retention: { keepLast: { nightly-etl: 0 } }\n'),
    /runwarden\.yaml:3:41: archive\.retention\.keepLast\.nightly-etl: must be at least 1/,
  ],
  [
    'a required environment variable that is not set',
    () => configError('database: "${PIPELINE_DB:?path of the pipeline database}"\n'),
    /runwarden\.yaml:2:11: environment variable PIPELINE_DB is not set: path of the pipeline database/,
  ],
  [
    'a missing config file',
    async () => {
      try {
        loadConfig({ cwd: folder(), configPath: 'nope.yaml', env: {} });
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    },
    /nope\.yaml:1:1: file not found; pass another file with --config or RUNWARDEN_CONFIG/,
  ],
  [
    'a rule naming an unknown channel',
    () =>
      configError(
        '',
        'rules:\n  - { name: r, match: { type: run_stalled }, severity: low, channels: [pager] }\n',
      ),
    /alerts\.yaml:2:72: rules\[0\]\.channels\[0\]: unknown channel "pager"; expected one of console, slack, email, webhook/,
  ],
  [
    'a rule matching an unknown field',
    () =>
      configError(
        '',
        'rules:\n  - { name: r, match: { colour: red }, severity: low, channels: [console] }\n',
      ),
    /alerts\.yaml:2:\d+: rules\[0\]\.match\.colour: unknown match field "colour"; expected one of type, outcome, pipeline, runId, stepName, state/,
  ],
  [
    'a rule matching an unknown event type',
    () =>
      configError(
        '',
        'rules:\n  - { name: r, match: { type: run_exploded }, severity: low, channels: [console] }\n',
      ),
    /rules\[0\]\.match\.type: unknown event type "run_exploded"/,
  ],
  [
    'an unsafe run id: ../x',
    () => archiveError('../x'),
    /^unsafe run id "\.\.\/x": it contains a path separator; it is not archived or reported\. Fix the run id in the pipeline's runs table\.$/,
  ],
  [
    'an unsafe run id: an absolute path',
    () => archiveError('/etc/passwd'),
    /^unsafe run id "\/etc\/passwd": it contains a path separator/,
  ],
  ['an unsafe run id: ..', () => archiveError('..'), /^unsafe run id "\.\.": it contains "\.\."/],
  [
    'an unsafe run id: a NUL byte',
    () => archiveError('run\0x'),
    /^unsafe run id "run\\u0000x": it contains a NUL byte/,
  ],
  ['an unsafe run id: empty', () => archiveError(''), /^unsafe run id "": it is empty/],
  // Issue 14 (hostile text): run ids measured in bytes, white space refused.
  [
    'an unsafe run id: 200 × "é" (400 bytes, a file name too long)',
    () => archiveError('é'.repeat(200)),
    /^unsafe run id "é{200}": it is 400 bytes long in UTF-8, more than 200; it is not archived or reported\./,
  ],
  [
    'an unsafe run id: only white space',
    () => archiveError('   '),
    /^unsafe run id " {3}": it is only white space/,
  ],
  [
    'an unsafe run id: a trailing space',
    () => archiveError('run-1 '),
    /^unsafe run id "run-1 ": it begins or ends with white space/,
  ],
  [
    'an unsafe run id: a terminal escape',
    () => archiveError('run\x1b[2J'),
    /^unsafe run id "run\\u001b\[2J": it contains control characters/,
  ],
  [
    'a symlink that points out of the worktree',
    async () => {
      const dir = folder();
      mkdirSync(path.join(dir, 'wt', 'r1'), { recursive: true });
      writeFileSync(path.join(dir, 'wt', 'r1', 'ok.txt'), 'fine');
      symlinkSync('/etc/passwd', path.join(dir, 'wt', 'r1', 'leak'));
      const outcome = await archiveRun({
        runId: 'r1',
        worktreesDir: path.join(dir, 'wt'),
        archiveDir: path.join(dir, 'archive'),
      });
      expect(outcome.status).toBe('archived');
      return outcome.skippedFiles!.map((s) => `${s.path}: ${s.reason}`).join('\n');
    },
    /^leak: symlink to \/etc\/passwd points outside the worktree$/,
  ],
  [
    'a full disk (less free space than 1.5 × the worktree)',
    async () => {
      const dir = folder();
      mkdirSync(path.join(dir, 'wt', 'big'), { recursive: true });
      writeFileSync(path.join(dir, 'wt', 'big', 'data.bin'), Buffer.alloc(1024));
      try {
        await archiveRun({
          runId: 'big',
          worktreesDir: path.join(dir, 'wt'),
          archiveDir: path.join(dir, 'archive'),
          diskSpaceFactor: 1e15,
        });
      } catch (err) {
        return (err as Error).message.replaceAll(dir, '<dir>');
      }
      return '';
    },
    /^not enough free space in <dir>\/archive for run big: [\d.]+ MiB free, [\d.]+ MiB needed \(1000000000000000 × 0\.0 MiB of source\); nothing was written\. Free space there or lower archive\.diskSpaceFactor\.$/,
  ],
  [
    'a missing database',
    () => dbError(() => undefined),
    /^The orchestration database <db> does not exist\. Set "database" in runwarden\.yaml to the pipeline's SQLite file, or start the pipeline first so it creates it\.$/,
  ],
  [
    'a file that is not a SQLite database',
    () =>
      dbError((f) =>
        writeFileSync(f, 'this is not a database, it is a text file of some length\n'.repeat(20)),
      ),
    /^<db> is not a SQLite database/,
  ],
  [
    'a database without the runs table',
    () =>
      dbError((f) => {
        writeFileSync(f, '');
        const db = new Database(f);
        db.exec('CREATE TABLE steps (x)');
        db.close();
      }),
    /^<db> .*runs/,
  ],
  [
    'a running run whose updated_at is a huge number',
    async () =>
      skippedRows(
        `INSERT INTO runs (run_id, state, created_at, updated_at) VALUES ('huge', 'running', ${NOW}, 99999999999999)`,
      ),
    /^runs rowid 1 \(run huge\): updated_at "99999999999999" is neither ISO-8601 text nor unix seconds within the range of a date$/,
  ],
  [
    'a run whose run_id is NULL',
    async () =>
      skippedRows(
        `INSERT INTO runs (run_id, state, created_at, updated_at) VALUES (NULL, 'running', ${NOW}, ${NOW})`,
      ),
    /^runs rowid 1: run_id NULL cannot identify a row$/,
  ],
  [
    'a run whose created_at is not a time',
    async () =>
      skippedRows(
        `INSERT INTO runs (run_id, state, created_at, updated_at) VALUES ('r', 'running', 'soon', ${NOW})`,
      ),
    /^runs rowid 1 \(run r\): created_at "soon" is neither ISO-8601 text nor unix seconds/,
  ],
  [
    'a finished run with a step in an unknown state and a step without an id',
    async () =>
      skippedRows(
        `INSERT INTO runs (run_id, state, created_at, updated_at) VALUES ('r', 'succeeded', ${NOW}, ${NOW});
         INSERT INTO steps (step_id, run_id, name, state, updated_at) VALUES ('s1', 'r', 'x', 'vanished', ${NOW});
         INSERT INTO steps (step_id, run_id, name, state, updated_at) VALUES (NULL, 'r', 'y', 'succeeded', ${NOW});`,
      ),
    /^steps rowid 2 \(run r\): step_id NULL cannot identify a row\nsteps rowid 1 \(run r\): state "vanished" is not one of pending, running, succeeded, failed, skipped, canceled; the step is left out$/,
  ],
  [
    'Redis going away',
    async () => {
      const port = await freePort();
      try {
        await pingRedis(`redis://127.0.0.1:${port}`);
      } catch (err) {
        return (err as Error).message.replaceAll(String(port), '<port>');
      }
      return '';
    },
    /^Redis at redis:\/\/127\.0\.0\.1:<port> is not reachable \(connect ECONNREFUSED 127\.0\.0\.1:<port>\)$/,
  ],
  [
    'Slack answering 429',
    async () =>
      channelError('slack', {
        slack: { webhookUrl: await httpAnswering(429, { 'retry-after': '30' }) },
      }),
    /^slack: Slack answered HTTP 429: rate_limited$/,
  ],
  [
    'Slack answering 500',
    async () => channelError('slack', { slack: { webhookUrl: await httpAnswering(500) } }),
    /^slack: Slack answered HTTP 500: internal_error$/,
  ],
  [
    'a webhook answering 500',
    async () => channelError('webhook', { webhook: { url: await httpAnswering(500) } }),
    /HTTP 500/,
  ],
  [
    'SMTP refusing the recipient',
    async () =>
      channelError('email', {
        email: {
          host: '127.0.0.1',
          port: await smtpRefusing(),
          from: 'runwarden@example.test',
          to: 'oncall@example.test',
          timeout: '5s',
        },
      }),
    /550/,
  ],
  // Issue 14 (hostile peers): each error says the real cause, in one clean line, without secrets.
  [
    'a webhook nobody listens on',
    async () => {
      const port = await freePort();
      return (
        await channelError('webhook', { webhook: { url: `http://127.0.0.1:${port}/secret-token` } })
      ).replaceAll(String(port), '<port>');
    },
    /^webhook: could not deliver to the webhook \(ECONNREFUSED 127\.0\.0\.1:<port>\); check ALERT_WEBHOOK_URL and the receiver$/,
  ],
  [
    'Slack redirecting to another host',
    async () =>
      channelError('slack', {
        slack: {
          webhookUrl: await httpDoing((res) =>
            res.writeHead(302, { location: 'https://evil.example/collect' }).end(),
          ),
        },
      }),
    /^slack: could not reach Slack \(redirect to another host refused \(HTTP 302 to evil\.example\)\); check the network or SLACK_WEBHOOK_URL$/,
  ],
  [
    'a webhook answering 500 with terminal escapes and a page of HTML',
    async () =>
      channelError('webhook', {
        webhook: {
          url: await httpDoing((res) =>
            res.writeHead(500).end(`<html>\n\x1b[2J\x1b]0;pwned\x07${'<p>x</p>'.repeat(1_000)}`),
          ),
        },
      }),
    /^webhook: webhook answered HTTP 500: <html> \[2J \]0;pwned (<p>x<\/p>)+<p>x…$/,
  ],
  [
    'a webhook answering 200 with headers and then nothing',
    async () =>
      channelError('webhook', {
        webhook: {
          url: await httpDoing((res) => res.writeHead(200).flushHeaders()),
          timeout: '300ms',
        },
      }),
    /^webhook: could not deliver to the webhook \(no complete answer within 300 ms\)/,
  ],
  [
    'an SMTP server offering AUTH without STARTTLS',
    async () =>
      (
        await channelError('email', {
          email: {
            host: '127.0.0.1',
            port: await smtpWithoutTls(),
            user: 'alerts',
            pass: 'secret-token',
            from: 'runwarden@example.test',
            to: 'oncall@example.test',
            timeout: '5s',
          },
        })
      ).replace(/:\d+ /, ':<port> '),
    /^email: the SMTP server 127\.0\.0\.1:<port> offers no working STARTTLS \(.+\), so runwarden did not log in: it would send the password in clear\. Use the server's TLS port/,
  ],
];

describe('bad input', () => {
  it.each(cases)('%s gives a clear error', async (_what, run, expected) => {
    const text = await run();
    expect(text).toMatch(expected);
    expect(text).not.toContain('secret-token');
  });
});
