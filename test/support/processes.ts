/**
 * runwarden as separate processes, the way compose runs it: each role a
 * `runwarden …` process against one config file.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnCli, type TestContext } from '@runwarden/testing';

export interface RoleProcess {
  name: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM (graceful) or SIGKILL; resolves with the exit code or signal. */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

export interface ConfigFiles {
  config: string;
  alerts: string;
}

/** Writes runwarden.yaml and alerts.yaml for a test into its temp folder. */
export function writeConfigFiles(ctx: TestContext, runwarden: string, alerts: string): ConfigFiles {
  const config = path.join(ctx.dir, 'runwarden.yaml');
  const alertsFile = path.join(ctx.dir, 'alerts.yaml');
  writeFileSync(alertsFile, alerts);
  writeFileSync(config, `${runwarden}\nalerts: ${JSON.stringify(alertsFile)}\n`);
  return { config, alerts: alertsFile };
}

export function startRole(
  ctx: TestContext,
  name: string,
  args: string[],
  files: ConfigFiles,
  env: NodeJS.ProcessEnv = {},
): RoleProcess {
  const child = spawnCli(['--config', files.config, ...args], {
    cwd: ctx.dir,
    env: { REDIS_URL: ctx.redisUrl, LOG_LEVEL: 'info', ...env },
  });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  const role: RoleProcess = {
    name,
    child,
    output: () => text,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  ctx.defer(() => role.stop('SIGKILL'));
  return role;
}

/** The standard test config as YAML: short windows, the test's own folders and prefix. */
export function testConfigYaml(ctx: TestContext, extra = ''): string {
  return `database: ${JSON.stringify(path.join(ctx.dir, 'orchestration.db'))}
redis: { prefix: ${JSON.stringify(ctx.prefix)} }
paths: { worktrees: .worktrees, archive: .archive, reports: reports }
scanner: { pollInterval: 200ms, stallThreshold: 2s, changeCheckInterval: 50ms, leaseTtl: 1s }
queues:
  archive: { attempts: 3, backoff: { type: fixed, delay: 200ms } }
  report: { attempts: 3, backoff: { type: fixed, delay: 200ms } }
  alert: { attempts: 3, backoff: { type: fixed, delay: 200ms } }
${extra}`;
}
