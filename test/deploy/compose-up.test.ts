/**
 * `docker compose up`, really: the image built with the project's Dockerfile,
 * the stack of docker-compose.yml brought up on a private dockerd, and runs
 * driven through it as a pipeline on the host would (writing the database and
 * worktrees into the volumes from outside).
 *
 *   engine.sh start ─▶ base-images.sh ─▶ compose build ─▶ up (no database yet:
 *   scanners wait) ─▶ database + runs ─▶ zip, report, console alert, webhook ─▶
 *   board ─▶ kill -9 the lease holder ─▶ scale archive workers ─▶ down -v ─▶ engine stop
 *
 * Runs only with RUNWARDEN_COMPOSE_TEST=1 (`.ci/run` sets it and installs Docker);
 * otherwise it is skipped, saying why. See README, "Docker".
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineWriter } from '@runwarden/store';
import { waitFor } from '@runwarden/testing';
import { unzipTest } from '../support/system.js';
import {
  composeTestBlocker,
  createStack,
  freePort,
  health,
  startEngine,
  stopEngine,
  type Stack,
} from './compose-up/stack.js';

const blocker = await composeTestBlocker();
if (blocker) console.log(`compose-up test skipped: ${blocker}`);

const RUNWARDEN_UID = 10001;
const MINUTE = 60_000;
const started = Date.now();
let engine: { engineDir: string; dockerHost: string } | undefined;
let stack: Stack;
let webhook: Server;
const hooks: string[] = [];
let boardUrl: string;
const credentials = { user: 'compose-test', password: `pw-${Date.now()}` };
let dirs: { state: string; worktrees: string; archive: string; reports: string };

/** docker logs writes the container's stdout and stderr to ours: both are read here. */
async function containerLogs(id: string): Promise<string> {
  return new Promise((resolve) =>
    execFile(
      'docker',
      ['logs', id],
      { env: stack.env, maxBuffer: 64 * 1024 * 1024 },
      (_err, stdout, stderr) => resolve(`${stdout}${stderr}`),
    ),
  );
}
/** `runwarden status --json` in the board's container (`docker exec`: cheaper than compose exec). */
const status = async () =>
  JSON.parse(
    await stack.docker([
      'exec',
      (await stack.containers('board'))[0]!,
      ...['timeout', '-s', 'KILL', '60', 'node', 'apps/cli/bin/runwarden.js', 'status', '--json'],
    ]),
  ) as {
    scanner: { holder: string | null };
    waitingForDatabase: Record<string, { database: string }>;
  };

function writeRun(runId: string, pipeline: string, outcome: 'succeeded' | 'failed', mib = 1): void {
  const dir = path.join(dirs.worktrees, runId);
  mkdirSync(path.join(dir, 'out'), { recursive: true });
  writeFileSync(
    path.join(dir, 'out', 'result.txt'),
    `result of ${runId}\n`.repeat(64 * 1024 * mib),
  );
  writeFileSync(path.join(dir, 'log.txt'), `log of ${runId}\n`);
  for (const f of [
    dir,
    path.join(dir, 'out'),
    path.join(dir, 'out', 'result.txt'),
    path.join(dir, 'log.txt'),
  ])
    chownSync(f, RUNWARDEN_UID, RUNWARDEN_UID);
  const writer = createPipelineWriter(path.join(dirs.state, 'orchestration.db'));
  try {
    writer.run({ runId, pipeline, state: 'running' });
    writer.step({
      stepId: `${runId}.train`,
      runId,
      name: 'train',
      state: outcome,
      error: outcome === 'failed' ? 'out of memory' : null,
    });
    writer.run({ runId, pipeline, state: outcome });
  } finally {
    writer.close();
  }
}

const zipOk = (runId: string) => {
  const zip = path.join(dirs.archive, `${runId}.zip`);
  return existsSync(zip) && existsSync(path.join(dirs.reports, `${runId}_summary.json`));
};

describe.skipIf(blocker !== undefined)('docker compose up, on a private Docker engine', () => {
  beforeAll(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        hooks.push(body);
        res.end('ok');
      });
    });
    const hookPort = await freePort();
    await new Promise<void>((r) => webhook.listen(hookPort, '127.0.0.1', r));
    engine = await startEngine();
    mkdirSync(path.join(engine.engineDir, 'client'), { recursive: true });
    const boardPort = await freePort();
    boardUrl = `http://127.0.0.1:${boardPort}`;
    stack = await createStack({
      ...engine,
      vars: {
        REDIS_PORT: String(await freePort()),
        BOARD_PORT: String(boardPort),
        BOARD_USER: credentials.user,
        BOARD_PASSWORD: credentials.password,
        ALERT_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/alerts`,
      },
    });
    const buildStart = Date.now();
    await stack.compose(['build'], 40 * MINUTE);
    const size = await stack.docker([
      'image',
      'inspect',
      '-f',
      '{{.Size}}',
      'runwarden:compose-test',
    ]);
    console.log(
      `compose-up: image built in ${((Date.now() - buildStart) / 1000).toFixed(0)} s; runwarden:compose-test is ${(Number(size) / 1e6).toFixed(0)} MB`,
    );
    await stack.compose(['up', '-d'], 10 * MINUTE);
    dirs = {
      state: await stack.volume('state'),
      worktrees: await stack.volume('worktrees'),
      archive: await stack.volume('archive'),
      reports: await stack.volume('reports'),
    };
  }, 60 * MINUTE);

  afterAll(async () => {
    try {
      if (stack) {
        const failedHealth = await health(stack).catch(() => ({}));
        console.log('compose-up: container health at the end', failedHealth);
        await stack.compose(['down', '-v', '--remove-orphans'], 5 * MINUTE);
      }
    } finally {
      webhook?.close();
      if (engine) await stopEngine(engine.engineDir);
      console.log(
        `compose-up: the compose test took ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
    }
  }, 10 * MINUTE);

  it(
    'brings every service up healthy; the scanners wait for the database instead of exiting',
    { timeout: 15 * MINUTE },
    async () => {
      expect((await stack.containers('scanner')).length).toBe(2);
      expect((await stack.containers('archive-worker')).length).toBe(2);
      // Before the database exists: both scanners say they wait, in their logs and in status.
      await waitFor(
        async () => {
          const logs = await Promise.all((await stack.containers('scanner')).map(containerLogs));
          return logs.every((l) =>
            l.includes('Scanner waiting for database /app/.state/orchestration.db'),
          );
        },
        'both scanners to log that they wait for the database',
        5 * MINUTE,
        2000,
      );
      const waiting = await status();
      expect(Object.values(waiting.waitingForDatabase).map((w) => w.database)).toEqual([
        '/app/.state/orchestration.db',
        '/app/.state/orchestration.db',
      ]);
      const all = await waitFor(
        async () => {
          const h = await health(stack);
          const values = Object.values(h);
          return values.length === 8 && values.every((v) => v === 'healthy') ? h : undefined;
        },
        'all 8 containers (Redis and 7 of runwarden) healthy',
        12 * MINUTE,
        2000,
      );
      expect(Object.keys(all)).toHaveLength(8);
      const restarts = await stack.docker([
        'inspect',
        '-f',
        '{{.RestartCount}}',
        ...(await stack.containers()),
      ]);
      expect(
        restarts
          .trim()
          .split('\n')
          .every((n) => n === '0'),
      ).toBe(true);
    },
  );

  it(
    'archives, reports and alerts runs a pipeline writes into the volumes from outside',
    { timeout: 10 * MINUTE },
    async () => {
      // The pipeline's database, created by "the pipeline" as the image's user.
      const db = path.join(dirs.state, 'orchestration.db');
      writeFileSync(db, '');
      chownSync(db, RUNWARDEN_UID, RUNWARDEN_UID);
      createPipelineWriter(db).close();
      await waitFor(
        async () => (await status().catch(() => undefined))?.scanner.holder,
        'a scanner to take the lease',
        3 * MINUTE,
        1000,
      );
      expect((await status()).waitingForDatabase).toEqual({});

      writeRun('compose-ok-1', 'etl', 'succeeded');
      writeRun('compose-failed-1', 'train', 'failed');
      await waitFor(
        () => zipOk('compose-ok-1') && zipOk('compose-failed-1'),
        'zips and reports of both runs',
        3 * MINUTE,
        500,
      );
      expect(unzipTest(path.join(dirs.archive, 'compose-ok-1.zip'))).toMatch(/No errors detected/);
      expect(unzipTest(path.join(dirs.archive, 'compose-ok-1.zip'))).toContain('out/result.txt');
      await waitFor(
        () => hooks.some((h) => h.includes('compose-failed-1')),
        'the webhook alert for the failed run',
        2 * MINUTE,
        500,
      );
      const [alertWorker] = await stack.containers('alert-worker');
      await waitFor(
        async () => (await containerLogs(alertWorker!)).includes('compose-failed-1'),
        'the console alert',
        MINUTE,
        1000,
      );
    },
  );

  it(
    'serves the board with a login, /healthz, /readyz and /metrics',
    { timeout: 2 * MINUTE },
    async () => {
      expect((await fetch(`${boardUrl}/`)).status).toBe(401);
      const auth = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
      expect((await fetch(`${boardUrl}/`, { headers: { authorization: auth } })).status).toBe(200);
      expect((await fetch(`${boardUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${boardUrl}/readyz`)).status).toBe(200);
      const metrics = await fetch(`${boardUrl}/metrics`, { headers: { authorization: auth } });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/runwarden_/);
    },
  );

  it(
    'lets the standby scanner take over when the lease holder is killed with SIGKILL',
    { timeout: 5 * MINUTE },
    async () => {
      const holder = (await status()).scanner.holder!;
      const scanners = await Promise.all(
        (await stack.containers('scanner')).map(async (id) => ({
          id,
          logs: await containerLogs(id),
        })),
      );
      const leader = scanners.find((s) => s.logs.includes(holder));
      expect(leader, `a scanner container logged the lease holder ${holder}`).toBeDefined();
      await stack.docker(['kill', '-s', 'KILL', leader!.id]);
      writeRun('compose-after-kill', 'etl-2', 'succeeded');
      await waitFor(
        () => zipOk('compose-after-kill'),
        'the run completed after the kill to be archived',
        3 * MINUTE,
        500,
      );
      const successor = (await status()).scanner.holder;
      expect(successor).toBeTruthy();
      expect(successor).not.toBe(holder);
    },
  );

  it('spreads archive work over scaled-out archive workers', { timeout: 10 * MINUTE }, async () => {
    await stack.compose(['up', '-d', '--no-recreate', '--scale', 'archive-worker=3'], 5 * MINUTE);
    const ids = await stack.containers('archive-worker');
    expect(ids).toHaveLength(3);
    const runs = Array.from({ length: 12 }, (_, i) => `compose-scaled-${i}`);
    for (const runId of runs) writeRun(runId, `scaled-${runId}`, 'succeeded', 8);
    await waitFor(
      () => runs.every(zipOk),
      'every scaled run archived and reported',
      5 * MINUTE,
      1000,
    );
    const busy = [];
    for (const id of ids) {
      const logs = await containerLogs(id);
      if (runs.some((r) => logs.includes(`for run ${r}`))) busy.push(id);
    }
    expect(
      busy.length,
      'archive worker containers that archived some of the 12 runs',
    ).toBeGreaterThanOrEqual(2);
    expect(
      readdirSync(dirs.archive).filter((f) => f.endsWith('.zip')).length,
    ).toBeGreaterThanOrEqual(15);
  });
});
