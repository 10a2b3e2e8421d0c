/**
 * The compose stack under test, driven through the real tools: a private
 * dockerd (engine.sh), locally built base images (base-images.sh), and
 * docker-compose with docker-compose.yml + docker-compose.host-network.yml.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@runwarden/testing';

const run = promisify(execFile);
const HERE = path.join(REPO_ROOT, 'test/deploy/compose-up');

/** Why the compose test cannot run here, or undefined when it can. */
export async function composeTestBlocker(): Promise<string | undefined> {
  if (process.env.RUNWARDEN_COMPOSE_TEST !== '1')
    return 'RUNWARDEN_COMPOSE_TEST is not 1 (.ci/run sets it after installing Docker)';
  for (const tool of ['dockerd', 'docker', 'docker-compose', 'debootstrap'])
    if (!(await sh('sh', ['-c', `command -v ${tool}`]).catch(() => undefined)))
      return `${tool} is not installed (apt-get install docker.io docker-compose debootstrap)`;
  return undefined;
}

export async function sh(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 30 * 60_000,
): Promise<string> {
  try {
    const { stdout } = await run(file, [...args], {
      cwd: REPO_ROOT,
      env,
      maxBuffer: 256 * 1024 * 1024,
      timeout: timeoutMs,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(
      `${file} ${args.join(' ')} failed: ${e.message}\n${(e.stderr ?? '').slice(-4000)}`,
      { cause: err },
    );
  }
}

/** A free TCP port on 127.0.0.1 (never 6379). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (port !== 6379) return port;
  }
}

export interface Stack {
  env: NodeJS.ProcessEnv;
  project: string;
  engineDir: string;
  compose(args: readonly string[], timeoutMs?: number): Promise<string>;
  docker(args: readonly string[]): Promise<string>;
  /** Host path of one of the project's named volumes. */
  volume(name: string): Promise<string>;
  /** Container ids of a service. */
  containers(service?: string): Promise<string[]>;
}

export async function startEngine(): Promise<{ engineDir: string; dockerHost: string }> {
  const engineDir = mkdtempSync(path.join(os.tmpdir(), 'rw-engine-'));
  const out = await sh(path.join(HERE, 'engine.sh'), ['start', engineDir]);
  return { engineDir, dockerHost: out.trim().replace(/^DOCKER_HOST=/, '') };
}

export async function stopEngine(engineDir: string): Promise<void> {
  await sh(path.join(HERE, 'engine.sh'), ['stop', engineDir]);
  rmSync(engineDir, { recursive: true, force: true });
}

export async function createStack(options: {
  engineDir: string;
  dockerHost: string;
  vars: Record<string, string>;
}): Promise<Stack> {
  const project = `rwtest${Date.now().toString(36)}`;
  const engineEnv = {
    ...process.env,
    DOCKER_HOST: options.dockerHost,
    // A client config of its own: no credential helpers or contexts of this machine.
    DOCKER_CONFIG: path.join(options.engineDir, 'client'),
  };
  const [base, redis] = (await sh(path.join(HERE, 'base-images.sh'), [], engineEnv))
    .trim()
    .split('\n');
  const env: NodeJS.ProcessEnv = {
    ...engineEnv,
    COMPOSE_PROJECT_NAME: project,
    COMPOSE_FILE: 'docker-compose.yml:docker-compose.host-network.yml',
    BASE_IMAGE: base,
    REDIS_IMAGE: redis,
    NPM_REGISTRY: (await sh('npm', ['config', 'get', 'registry'])).trim(),
    NPM_CAFILE: '/etc/ssl/certs/ca-certificates.crt',
    RUNWARDEN_IMAGE_TAG: 'compose-test',
    ...options.vars,
  };
  const docker = (args: readonly string[]) => sh('docker', args, env);
  const containers = async (service?: string) =>
    (
      await docker([
        'ps',
        '-q',
        '--filter',
        `label=com.docker.compose.project=${project}`,
        ...(service ? ['--filter', `label=com.docker.compose.service=${service}`] : []),
      ])
    )
      .split('\n')
      .filter(Boolean);
  return {
    env,
    project,
    engineDir: options.engineDir,
    compose: (args, timeoutMs) => sh('docker-compose', args, env, timeoutMs),
    docker,
    volume: async (name) =>
      (await docker(['volume', 'inspect', '-f', '{{.Mountpoint}}', `${project}_${name}`])).trim(),
    containers,
  };
}

/** Health of every running container of the project: id → healthy/starting/unhealthy. */
export async function health(stack: Stack): Promise<Record<string, string>> {
  const ids = await stack.containers();
  if (ids.length === 0) return {};
  const out = await stack.docker([
    'inspect',
    '-f',
    '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}',
    ...ids,
  ]);
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
}
