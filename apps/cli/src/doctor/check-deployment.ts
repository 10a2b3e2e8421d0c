/** Doctor's checks of the shared folders, the alert channels and the board's settings. */
import { randomUUID } from 'node:crypto';
import { rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describeChannels, sendTestAlert } from '@runwarden/alerts';
import type { AlertsConfig, RunwardenConfig } from '@runwarden/core/essentials';
import { errorText, fail, ok, warn, type DoctorCheck } from './doctor-check.js';

/** Less free space than this in a folder is reported. */
const LOW_SPACE_BYTES = 1024 ** 3;
const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;

function checkFolder(name: string, dir: string): DoctorCheck[] {
  const G = 'folders';
  try {
    if (!statSync(dir).isDirectory())
      return [
        fail(G, `${name} exists`, `${dir} is not a folder`, `point paths.${name} at a folder`),
      ];
  } catch {
    return [
      fail(
        G,
        `${name} exists`,
        `${dir} does not exist`,
        `create it (mkdir -p ${dir}) or fix paths.${name} in runwarden.yaml`,
      ),
    ];
  }
  const checks = [ok(G, `${name} exists`, dir)];
  // Writing a file is the only honest test: permissions, read-only mounts and root all differ.
  const probe = path.join(dir, `.runwarden-doctor-${randomUUID().slice(0, 8)}`);
  try {
    writeFileSync(probe, 'doctor');
    rmSync(probe);
    checks.push(ok(G, `${name} writable`, dir));
  } catch (err) {
    checks.push(
      fail(
        G,
        `${name} writable`,
        `cannot write in ${dir}: ${errorText(err)}`,
        `give runwarden's user write access to ${dir}`,
      ),
    );
  }
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  checks.push(
    free >= LOW_SPACE_BYTES
      ? ok(G, `${name} free space`, `${gib(free)} free`)
      : warn(G, `${name} free space`, `${gib(free)} free`, `free space on ${dir}'s filesystem`),
  );
  return checks;
}

export function checkFolders(config: RunwardenConfig): DoctorCheck[] {
  const { worktrees, archive, reports } = config.paths;
  return [
    ...checkFolder('worktrees', worktrees),
    ...checkFolder('archive', archive),
    ...checkFolder('reports', reports),
    // By construction: a temp zip is `<archive>/.<run_id>.zip.tmp-…`, so its rename is atomic.
    ok(
      'folders',
      'temp and final zip on one filesystem',
      `temp zips are written inside ${archive} and renamed in place`,
    ),
  ];
}

function connect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer within ${timeoutMs} ms`)));
    socket.once('connect', () => done());
    socket.once('error', done);
  });
}

function endpointOf(
  name: string,
  alerts: AlertsConfig,
): { host: string; port: number } | undefined {
  const c = alerts.channels;
  if (name === 'email' && c.email) return { host: c.email.host, port: c.email.port };
  const url =
    name === 'slack' ? c.slack?.webhookUrl : name === 'webhook' ? c.webhook?.url : undefined;
  if (!url) return undefined;
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
}

export async function checkChannels(
  alerts: AlertsConfig,
  send: boolean,
  timeoutMs = 3_000,
): Promise<DoctorCheck[]> {
  const G = 'channels';
  const used = new Set(alerts.rules.flatMap((r) => r.channels));
  const checks: DoctorCheck[] = [];
  for (const ch of describeChannels(alerts)) {
    if (!ch.enabled) {
      if (used.has(ch.name as never))
        checks.push(
          warn(
            G,
            `${ch.name} configured`,
            ch.detail,
            `set its values in alerts.yaml (or the environment), or remove ${ch.name} from the rules`,
          ),
        );
      continue;
    }
    checks.push(ok(G, `${ch.name} configured`, ch.detail));
    const endpoint = endpointOf(ch.name, alerts);
    if (!endpoint) continue;
    try {
      await connect(endpoint.host, endpoint.port, timeoutMs);
      checks.push(
        ok(G, `${ch.name} reachable`, `${endpoint.host}:${endpoint.port} accepts connections`),
      );
    } catch (err) {
      checks.push(
        fail(
          G,
          `${ch.name} reachable`,
          `${endpoint.host}:${endpoint.port}: ${errorText(err)}`,
          `check the address in alerts.yaml and the network/firewall from this machine`,
        ),
      );
    }
  }
  if (send)
    for (const r of await sendTestAlert(alerts, { consoleOut: process.stderr }))
      if (!r.detail.startsWith('disabled'))
        checks.push(
          r.ok
            ? ok(G, `${r.channel} test message`, r.detail)
            : fail(
                G,
                `${r.channel} test message`,
                r.detail,
                'fix what the message says, then `runwarden alert test --channel ' +
                  r.channel +
                  '`',
              ),
        );
  return checks;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function checkBoard(config: RunwardenConfig): DoctorCheck[] {
  const G = 'board';
  const { host, port, user, password } = config.board;
  const credentials = user !== '' && password !== '';
  const local = LOOPBACK.has(host);
  return [
    credentials
      ? ok(G, 'credentials', `user ${user}, password set`)
      : warn(
          G,
          'credentials',
          'BOARD_USER/BOARD_PASSWORD not set: `runwarden start` runs without the board',
          'set board.user and board.password (or BOARD_USER and BOARD_PASSWORD)',
        ),
    local
      ? ok(G, 'bind address', `${host}:${port} (this machine only)`)
      : credentials
        ? warn(
            G,
            'bind address',
            `${host}:${port} is reachable from the network; Basic auth over plain HTTP`,
            'put a TLS proxy in front, or bind to 127.0.0.1',
          )
        : fail(
            G,
            'bind address',
            `${host}:${port} is reachable from the network without credentials`,
            'set board credentials, or bind to 127.0.0.1',
          ),
  ];
}
