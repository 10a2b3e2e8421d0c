import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { mimeParts as parts } from '@runwarden/testing';
import { digestNotification, testNotification } from '../build-notification.js';
import type { EventSummary } from '../notification.js';
import { ChannelError, type Channel } from './channel.js';
import { createEmailChannel } from './email.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/**
 * A real SMTP server on 127.0.0.1 that refuses the first `refusals` recipients with 451, then
 * accepts. STARTTLS with smtp-server's own self-signed certificate, unless `tls` says otherwise:
 * 'none' offers AUTH without STARTTLS (as a hostile or misconfigured server may).
 */
async function startSmtp(refusals: number, tls: 'starttls' | 'none' = 'starttls') {
  const received: Received[] = [];
  const logins: { user: string; secure: boolean }[] = [];
  let refused = 0;
  const server = new SMTPServer({
    authOptional: true,
    ...(tls === 'none' ? { disabledCommands: ['STARTTLS'] } : {}),
    logger: false,
    onAuth(auth, session, cb) {
      logins.push({ user: auth.username ?? '', secure: session.secure });
      cb(
        auth.username === 'alerts' && auth.password === 'p4ss-w0rd-secret'
          ? null
          : new Error('bad credentials'),
        { user: auth.username },
      );
    },
    onRcptTo(_address, _session, cb) {
      if (refused < refusals) {
        refused += 1;
        return cb(Object.assign(new Error('mailbox busy, try later'), { responseCode: 451 }));
      }
      cb();
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    received,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

const events: EventSummary[] = [1, 2, 3].map((i) => ({
  id: `r${i}.completed`,
  type: 'run_completed',
  runId: `r${i}`,
  pipeline: 'etl',
  detectedAt: `2025-12-05T14:3${i}:00.000Z`,
  text: `run r${i} failed (4/5 steps)`,
  steps: '4/5',
}));

describe('email channel', () => {
  it('is refused by the SMTP server (transient, no password in the error), then sends subject, text and HTML', async () => {
    const smtp = await startSmtp(1);
    cleanup.push(smtp.close);
    const email: Channel = createEmailChannel({
      host: '127.0.0.1',
      port: smtp.port,
      user: 'alerts',
      pass: 'p4ss-w0rd-secret',
      from: 'runwarden@example.test',
      to: 'ops@example.test',
      rejectUnauthorized: false,
      timeoutMs: 2_000,
    });
    cleanup.push(() => email.close!());
    const single = {
      ...digestNotification({
        id: 'x',
        rule: 'run_failure',
        severity: 'critical',
        group: { key: 'run_failure{}', hash: 'h' },
        windowStart: 0,
        windowEnd: 1,
        events: events.slice(0, 1),
        now: 0,
      }),
    };
    const n = { ...single, kind: 'alert' as const, title: 'run r1 failed (4/5 steps)' };

    const err = await email.send(n).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChannelError);
    expect((err as ChannelError).kind).toBe('transient');
    expect((err as ChannelError).message).toContain('451');
    expect((err as ChannelError).message).not.toContain('p4ss-w0rd-secret');

    await email.send(n);
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.to).toEqual(['ops@example.test']);
    expect(mail.raw).toContain('Subject: [CRITICAL] run_failure: run r1 failed (4/5 steps)');
    expect(mail.raw).toContain('Content-Type: text/plain');
    expect(mail.raw).toContain('Content-Type: text/html');
    expect(smtp.logins.length).toBeGreaterThan(0);
    expect(smtp.logins.every((l) => l.secure)).toBe(true);
  });

  it('never logs in to a server that offers AUTH without STARTTLS, unless requireTLS is turned off', async () => {
    const smtp = await startSmtp(0, 'none');
    cleanup.push(smtp.close);
    const settings = {
      host: '127.0.0.1',
      port: smtp.port,
      user: 'alerts',
      pass: 'p4ss-w0rd-secret',
      from: 'runwarden@example.test',
      to: 'ops@example.test',
      timeoutMs: 2_000,
    };
    const email = createEmailChannel(settings);
    cleanup.push(() => email.close!());
    const err = await email.send(testNotification(0)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChannelError);
    expect((err as ChannelError).kind).toBe('permanent');
    expect((err as ChannelError).message).toMatch(
      new RegExp(
        `^email: the SMTP server 127\\.0\\.0\\.1:${smtp.port} offers no working STARTTLS \\(.+\\), so runwarden did not log in: it would send the password in clear\\.`,
      ),
    );
    expect((err as ChannelError).message).not.toContain('p4ss-w0rd-secret');
    expect(smtp.logins).toEqual([]);
    expect(smtp.received).toEqual([]);

    const optedOut = createEmailChannel({ ...settings, requireTLS: false });
    cleanup.push(() => optedOut.close!());
    await optedOut.send(testNotification(0));
    expect(smtp.logins).toEqual([{ user: 'alerts', secure: false }]);
  });

  it('sends a digest as one message listing its runs', async () => {
    const smtp = await startSmtp(0);
    cleanup.push(smtp.close);
    const email = createEmailChannel({
      host: '127.0.0.1',
      port: smtp.port,
      from: 'runwarden@example.test',
      to: 'ops@example.test',
      rejectUnauthorized: false,
      timeoutMs: 2_000,
    });
    cleanup.push(() => email.close!());
    const digest = digestNotification({
      id: 'digest.漢字\r\nBcc: evil@example.test.h.0',
      rule: 'run_failure',
      severity: 'critical',
      group: { key: 'run_failure{pipeline="etl"}', hash: 'h' },
      windowStart: 0,
      windowEnd: 900_000,
      events,
      now: 900_000,
    });
    await email.send(digest);
    expect(smtp.received).toHaveLength(1);
    const raw = smtp.received[0]!.raw.replace(/=\r?\n/g, '');
    expect(raw).toContain('3 more run_failure alert(s) for 3 run(s)');
    // The id is the pipeline's text: it reaches the header ASCII-encoded, never as a new header line.
    expect(raw.replace(/\r\n(?=[ \t])/g, '')).toContain(
      'X-Runwarden-Notification: digest.%E6%BC%A2%E5%AD%97%0D%0ABcc:%20evil@example.test.h.0',
    );
    expect(smtp.received[0]!.to).toEqual(['ops@example.test']);
    for (const e of events) expect(raw).toContain(e.text);
  });

  describe("with the run's HTML report", () => {
    async function sendWith(report: Record<string, unknown>, runIds: string[]) {
      const smtp = await startSmtp(0);
      cleanup.push(smtp.close);
      const email = createEmailChannel({
        host: '127.0.0.1',
        port: smtp.port,
        from: 'runwarden@example.test',
        to: 'ops@example.test',
        rejectUnauthorized: false,
        timeoutMs: 2_000,
        report,
      });
      cleanup.push(() => email.close!());
      await email.send(
        digestNotification({
          id: 'd',
          rule: 'run_failure',
          severity: 'critical',
          group: { key: 'run_failure{}', hash: 'h' },
          windowStart: 0,
          windowEnd: 1,
          events: runIds.map((runId) => ({ ...events[0]!, id: `${runId}.completed`, runId })),
          now: 1,
        }),
      );
      expect(smtp.received).toHaveLength(1);
      const raw = smtp.received[0]!.raw;
      return { raw, parts: parts(raw) };
    }

    function reportsDir(files: Record<string, string>): string {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'runwarden-email-reports-'));
      cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
      return dir;
    }

    it('attaches the report that exists at send time, says which is not written yet, and links the board', async () => {
      const page = '<!doctype html><title>Run r1: failed</title><p>timeline ✘ étape</p>\n';
      const dir = reportsDir({ 'r1_summary.html': page });
      const { parts: got } = await sendWith(
        { mode: 'attach', reportsDir: dir, boardUrl: 'https://board.example/ops' },
        ['r1', 'r 2'],
      );
      const attached = got.filter((p) => /content-disposition: attachment/i.test(p.headers));
      expect(attached).toHaveLength(1);
      expect(attached[0]!.headers).toMatch(/filename="?r1_summary\.html/);
      expect(attached[0]!.headers).toMatch(/content-type: text\/html/i);
      expect(attached[0]!.body.toString('utf8')).toBe(page);
      const text = got.find((p) => /content-type: text\/plain/i.test(p.headers))!.body.toString();
      expect(text).toContain('The HTML report of run r1 is attached (r1_summary.html).');
      expect(text).toContain(
        'The HTML report of run r 2 was not written yet when this email was sent (reports and alerts are made in parallel)',
      );
      expect(text).toContain('https://board.example/ops/runs/r1');
      expect(text).toContain('https://board.example/ops/runs/r%202');
      const html = got.find(
        (p) => /content-type: text\/html/i.test(p.headers) && !/attachment/i.test(p.headers),
      )!;
      expect(html.body.toString()).toContain('<a href="https://board.example/ops/runs/r1">');
    });

    it('never attaches a report that is a link to a file outside the reports folder', async () => {
      const secret = reportsDir({ 'secret.txt': 'not for mail' });
      const dir = reportsDir({});
      symlinkSync(path.join(secret, 'secret.txt'), path.join(dir, 'r1_summary.html'));
      const { raw, parts: got } = await sendWith({ mode: 'attach', reportsDir: dir }, ['r1']);
      expect(got.some((p) => /content-disposition: attachment/i.test(p.headers))).toBe(false);
      expect(raw).not.toContain('not for mail');
      const text = got.find((p) => /content-type: text\/plain/i.test(p.headers))!.body.toString();
      expect(text).toContain('The HTML report of run r1 was not attached: r1_summary.html');
      expect(text).toContain('outside that folder');
    });

    it("links the board's run page and attaches nothing with report: link; says nothing with none", async () => {
      const dir = reportsDir({ 'r1_summary.html': '<p>report</p>' });
      const linked = await sendWith(
        { mode: 'link', reportsDir: dir, boardUrl: 'https://board.example/' },
        ['r1', 'a/b'],
      );
      expect(linked.parts.some((p) => /attachment/i.test(p.headers))).toBe(false);
      const text = linked.parts
        .find((p) => /content-type: text\/plain/i.test(p.headers))!
        .body.toString();
      expect(text).toContain(
        'Run r1: Timeline, archive and reports: https://board.example/runs/r1',
      );
      expect(text).toContain('https://board.example/runs/a%2Fb');

      const none = await sendWith(
        { mode: 'none', reportsDir: dir, boardUrl: 'https://board.example/' },
        ['r1'],
      );
      expect(none.parts.some((p) => /attachment/i.test(p.headers))).toBe(false);
      expect(none.raw).not.toContain('board.example');
      expect(none.raw).not.toContain('HTML report');
    });
  });
});
