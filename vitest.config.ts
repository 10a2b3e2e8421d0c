// One Vitest run for the whole repository: a project per workspace (unit tests
// next to the code) plus `test/` for whole-system tests. Workspace imports are
// resolved to their TypeScript sources, so tests never need a build.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  readdirSync(`${root}${dir}`)
    .filter((name) => existsSync(`${root}${dir}/${name}/package.json`))
    .map((name) => `${dir}/${name}`),
);
// Every export of a workspace (`@runwarden/core`, `@runwarden/core/essentials`)
// maps to the source its `@runwarden/source` condition names.
type Exports = Record<string, { '@runwarden/source'?: string }>;
const alias = workspaces.flatMap((ws) => {
  const manifest = JSON.parse(readFileSync(`${root}${ws}/package.json`, 'utf8')) as {
    exports?: Exports;
  };
  const name = `@runwarden/${ws.split('/')[1]}`;
  const exports: Exports = manifest.exports ?? { '.': { '@runwarden/source': './src/index.ts' } };
  return Object.entries(exports).flatMap(([subpath, target]) => {
    const source = target['@runwarden/source'];
    if (!source) return [];
    const specifier = subpath === '.' ? name : `${name}/${subpath.slice(2)}`;
    const escaped = specifier.replace(/[/.]/g, (c) => `\\${c}`);
    return [{ find: new RegExp(`^${escaped}$`), replacement: `${root}${ws}/${source.slice(2)}` }];
  });
});

const FAILOVER = 'test/e2e/redis-{sentinel,cluster}*.test.ts';

export default defineConfig({
  resolve: { alias },
  test: {
    globalSetup: [`${root}packages/testing/src/global-setup.ts`],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      ...workspaces.map((ws) => ({
        extends: true as const,
        test: {
          name: ws.split('/')[1],
          include: [`${ws}/src/**/*.test.ts`],
          sequence: { groupOrder: 0 },
        },
      })),
      {
        extends: true as const,
        test: {
          name: 'system',
          include: ['test/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          exclude: [FAILOVER],
          testTimeout: 120_000,
        },
      },
      // Redis Sentinel and Cluster failovers (kill -9 of a master mid-burst): one file at a time,
      // after everything else, since a failover timed on a machine busy with the rest is not a failover test.
      {
        extends: true as const,
        test: {
          name: 'failover',
          include: [FAILOVER],
          testTimeout: 600_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
