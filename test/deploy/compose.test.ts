import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '@runwarden/testing';
import { checkCliArgs, WORKER_ROLES } from './cli-commands.js';
import { createComposeValidator, schemaDraft } from './compose-schema.js';
import {
  composeInvocations,
  dockerfileInstructions,
  dockerfileInvocations,
  execForm,
  unitInvocations,
} from './deploy-commands.js';

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const SYSTEMD_UNITS = [
  'runwarden-scanner.service',
  'runwarden-worker@.service',
  'runwarden-board.service',
];

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
  restart?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}

/** Every variable the config reads from the environment (docs/ARCHITECTURE.md and the CLI's brief). */
const ENV_VARS = [
  'REDIS_URL',
  'SLACK_WEBHOOK_URL',
  'SMTP_HOST',
  'SMTP_PORT',
  'SMTP_USER',
  'SMTP_PASS',
  'ALERT_EMAIL_FROM',
  'ALERT_EMAIL_TO',
  'ALERT_WEBHOOK_URL',
  'BOARD_USER',
  'BOARD_PASSWORD',
  'BOARD_PORT',
  'RUNWARDEN_CONFIG',
  'RUNWARDEN_DATABASE',
  'RUNWARDEN_PREFIX',
  'LOG_LEVEL',
];
const RUNWARDEN_SERVICES = ['scanner', 'archive-worker', 'report-worker', 'alert-worker', 'board'];

describe('docker-compose.yml against the Compose specification', () => {
  const validate = createComposeValidator();

  it('uses the draft the schema declares', () => {
    expect(schemaDraft()).toMatch(/draft\/2019-09/);
  });

  it('is valid', () => {
    expect(validate(compose)).toEqual([]);
  });

  it('would reject a file with a mistake in it, so the check means something', () => {
    const broken = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    broken.services.redis!.restrat = 'always';
    broken.services.scanner!.deploy = { replicas: 'two' };
    const errors = validate(broken);
    expect(errors.map((e) => e.instancePath)).toEqual(
      expect.arrayContaining(['/services/redis', '/services/scanner/deploy/replicas']),
    );
  });
});

describe('docker-compose.yml topology', () => {
  const services = compose.services;

  it('runs Redis 7 with AOF, noeviction, a ping health check and a volume', () => {
    const redis = services.redis!;
    expect(redis.image).toBe('${REDIS_IMAGE:-redis:7}');
    expect(redis.command?.join(' ')).toContain('--appendonly yes');
    expect(redis.command?.join(' ')).toContain('--maxmemory-policy noeviction');
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(redis.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
  });

  it('runs two scanners, scalable archive workers, report and alert workers and the board', () => {
    expect(services.scanner?.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(services['archive-worker']?.deploy?.replicas).toBeGreaterThanOrEqual(1);
    expect(services['archive-worker']?.command).toEqual(['worker', 'archive']);
    expect(services['report-worker']?.command).toEqual(['worker', 'report']);
    expect(services['alert-worker']?.command).toEqual(['worker', 'alert']);
    expect(services.board?.command).toEqual(['board']);
    expect(read('docker-compose.yml')).toContain('--scale archive-worker=');
  });

  it('gives every service a health check and a restart policy, and starts runwarden after Redis is healthy', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.test, `${name} healthcheck`).toBeDefined();
      expect(service.restart, `${name} restart`).toMatch(/^(always|unless-stopped|on-failure)/);
    }
    for (const name of RUNWARDEN_SERVICES)
      expect(services[name]?.depends_on?.redis?.condition, name).toBe('service_healthy');
  });

  it('shares the database, worktree, archive and report volumes between the scanner, the workers and the board', () => {
    const mounts = (name: string) => [...(services[name]?.volumes ?? [])].sort();
    const expected = [
      'archive:/app/.archive',
      'reports:/app/reports',
      'state:/app/.state',
      'worktrees:/app/.worktrees',
    ];
    for (const name of ['scanner', 'archive-worker', 'report-worker', 'alert-worker'])
      expect(mounts(name), name).toEqual(expected);
    // The board's runs view: the database, and the zips and reports it serves, read-only.
    expect(mounts('board')).toEqual([
      'archive:/app/.archive:ro',
      'reports:/app/reports:ro',
      'state:/app/.state',
    ]);
    for (const volume of ['state', 'worktrees', 'archive', 'reports', 'redis-data'])
      expect(compose.volumes).toHaveProperty(volume);
  });

  it('publishes the board on BOARD_PORT (3000) with its credentials from the environment', () => {
    const board = services.board!;
    const override = parse(read('docker-compose.override.yml')) as {
      services: Record<string, Service>;
    };
    expect(Object.keys(override.services)).toEqual(['board']);
    expect(override.services.board?.ports).toEqual([
      '${BOARD_PUBLISH:-127.0.0.1:3000}:${BOARD_PORT:-3000}',
    ]);
    expect(board.ports).toBeUndefined();
    expect(board.environment?.BOARD_PORT).toBe('${BOARD_PORT:-3000}');
    expect(board.healthcheck?.test.join(' ')).toContain('process.env.BOARD_PORT');
    expect(board.environment?.BOARD_USER).toBe('${BOARD_USER:-}');
    expect(board.environment?.BOARD_PASSWORD).toBe('${BOARD_PASSWORD:-}');
  });

  it('requires no variable, so `docker compose up redis` works without .env (the board checks its own credentials)', () => {
    expect(read('docker-compose.yml')).not.toMatch(/\$\{[A-Z_]+:?\?/);
  });

  it('passes every configuration variable to the runwarden services, and documents each in .env.example', () => {
    const example = read('.env.example');
    for (const name of ENV_VARS) {
      expect(example, `.env.example documents ${name}`).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
      const service = name.startsWith('BOARD_') ? 'board' : 'scanner';
      expect(services[service]?.environment, `${service} gets ${name}`).toHaveProperty(name);
    }
  });
});

describe('Dockerfile and .dockerignore', () => {
  const instructions = dockerfileInstructions(read('Dockerfile'));
  const all = (keyword: string) =>
    instructions.filter((i) => i.keyword === keyword).map((i) => i.rest);

  it('builds on node:22-slim (or BASE_IMAGE) in stages, with the tools better-sqlite3 needs, and prunes dev dependencies', () => {
    expect(all('ARG')).toContain('NODE_VERSION=22');
    expect(all('ARG')).toContain('BASE_IMAGE=node:${NODE_VERSION}-slim');
    expect(all('FROM').every((f) => f.startsWith('${BASE_IMAGE} AS '))).toBe(true);
    expect(all('FROM').length).toBeGreaterThanOrEqual(2);
    const run = all('RUN').join('\n');
    for (const step of ['python3 make g++', 'npm ci', 'npm run build', 'npm prune --omit=dev'])
      expect(run).toContain(step);
  });

  it("builds offline from the npm registry alone: no syntax line, node-gyp uses the base image's headers", () => {
    expect(read('Dockerfile')).not.toMatch(/^#\s*syntax=/m);
    expect(all('ENV').join(' ')).toContain('npm_config_nodedir=/usr/local');
    expect(all('RUN').join('\n')).toContain('rm -rf build deps src');
    expect(all('ENV').join(' ')).toContain('BOARD_HOST=0.0.0.0');
  });

  it('runs as a non-root user through the CLI, starting everything by default, with a health check', () => {
    const user = all('USER').at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(execForm(all('ENTRYPOINT').at(-1) ?? '')).toEqual(['node', 'apps/cli/bin/runwarden.js']);
    expect(execForm(all('CMD').at(-1) ?? '')).toEqual(['start']);
    expect(all('HEALTHCHECK')).toHaveLength(1);
  });

  it('keeps dependencies, build output, data and secrets out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of [
      '**/node_modules',
      '**/dist',
      '.git',
      '.env',
      '.state',
      '.worktrees',
      '.archive',
      'reports',
    ])
      expect(ignored).toContain(entry);
  });
});

describe('commands named by the deployment files', () => {
  const invocations = [
    ...composeInvocations(compose as never),
    ...dockerfileInvocations(read('Dockerfile')),
    ...SYSTEMD_UNITS.flatMap((unit) =>
      unitInvocations(unit, read(`config/systemd/${unit}`), WORKER_ROLES),
    ),
  ];

  it('finds the invocations in compose, the Dockerfile and every systemd unit', () => {
    const sources = invocations.map((i) => i.source);
    expect(sources).toEqual(
      expect.arrayContaining([
        'docker-compose.yml services.scanner.command',
        'Dockerfile CMD',
        'Dockerfile HEALTHCHECK',
      ]),
    );
    expect(sources.filter((s) => s.startsWith('runwarden-worker@.service'))).toHaveLength(
      WORKER_ROLES.length,
    );
    expect(invocations.length).toBeGreaterThanOrEqual(12);
  });

  it('names only real runwarden commands with valid arguments', () => {
    const problems = invocations.flatMap((i) =>
      checkCliArgs(i.args).map((p) => `${i.source}: runwarden ${i.args.join(' ')}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it.each([
    [['stauts'], /unknown command/],
    [['worker', 'archiv'], /not one of archive, report, alert/],
    [['worker'], /needs <roles>/],
    [['status', '--jsn'], /unknown option --jsn/],
    [['--config'], /needs a value/],
    [['scanner', 'extra'], /takes no argument/],
  ])('rejects runwarden %j', (args, problem) => {
    expect(checkCliArgs(args).join('\n')).toMatch(problem);
  });

  it.each([
    [['--config', '/etc/runwarden/runwarden.yaml', 'worker', 'archive', 'report']],
    [['status', '--json']],
    [['dlq', 'list']],
    [['board', '--open']],
  ])('accepts runwarden %j', (args) => expect(checkCliArgs(args)).toEqual([]));
});

describe('docker-compose.host-network.yml (hosts without bridge networking or registry access)', () => {
  const override = parse(read('docker-compose.host-network.yml'), { merge: true }) as {
    services: Record<string, Service & { network_mode?: string; build?: { network?: string } }>;
  };

  it('puts every service of docker-compose.yml, and the build, on the host network', () => {
    expect(Object.keys(override.services).sort()).toEqual(Object.keys(compose.services).sort());
    for (const [name, service] of Object.entries(override.services)) {
      expect(service.network_mode, name).toBe('host');
      if (name !== 'redis') expect(service.build?.network, name).toBe('host');
    }
  });

  it('keeps Redis and the board on 127.0.0.1, Redis on REDIS_PORT, never 6379, and publishes no port', () => {
    for (const service of Object.values(override.services)) expect(service.ports).toBeUndefined();
    const text = read('docker-compose.host-network.yml');
    expect(text).not.toContain('6379');
    expect(override.services.redis?.command).toEqual(
      expect.arrayContaining(['--bind', '127.0.0.1', '--port']),
    );
    expect(override.services.board?.environment?.BOARD_HOST).toBe('127.0.0.1');
  });

  it('names no registry host', () => {
    for (const file of ['docker-compose.host-network.yml', 'Dockerfile', 'docker-compose.yml'])
      expect(read(file), file).not.toMatch(/registry\.npmjs|deb\.debian|docker\.io\/|hub\.docker/);
  });
});
