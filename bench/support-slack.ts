/**
 * A Slack incoming webhook stand-in on 127.0.0.1: answers every POST with
 * `200 ok` and records when each message arrived and which run it names.
 * The benchmarks count notifications here and measure detection latency
 * from a pipeline commit to the arrival of its alert.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface SlackArrival {
  /** Date.now() when the request body was complete. */
  at: number;
  /** `[LOW] run_succeeded: run x succeeded (3/3 steps)`: Slack's fallback text. */
  text: string;
  /** The run a single alert names; undefined for digests and other kinds. */
  runId?: string;
  digest: boolean;
}

export interface SlackStandIn {
  readonly url: string;
  readonly arrivals: SlackArrival[];
  /** Arrival time of the first alert naming `runId`. */
  firstArrivalOf(runId: string): number | undefined;
  close(): Promise<void>;
}

// headline(): `[SEVERITY] rule: run <id> <outcome> (…)`; a digest's title starts with a count.
const SINGLE_RUN = /^\[[A-Z]+\] [\w.-]+: run (\S+) (?:succeeded|failed|canceled|stalled|is making)/;
const DIGEST = /^\[[A-Z]+\] [\w.-]+: \d+ more /;

export async function startSlackStandIn(): Promise<SlackStandIn> {
  const arrivals: SlackArrival[] = [];
  const byRun = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      let text: string;
      try {
        text = String(
          (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown }).text ?? '',
        );
      } catch {
        text = '(unparsable body)';
      }
      const runId = SINGLE_RUN.exec(text)?.[1];
      arrivals.push({ at, text, digest: DIGEST.test(text), ...(runId ? { runId } : {}) });
      if (runId && !byRun.has(runId)) byRun.set(runId, at);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/bench`,
    arrivals,
    firstArrivalOf: (runId) => byRun.get(runId),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
