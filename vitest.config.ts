// One Vitest run for the whole repository: a project per workspace (unit tests
// next to the code) plus `test/` for whole-system tests. Workspace imports are
// resolved to their TypeScript sources, so tests never need a build.
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  readdirSync(`${root}${dir}`)
    .filter((name) => existsSync(`${root}${dir}/${name}/package.json`))
    .map((name) => `${dir}/${name}`),
);
const alias = Object.fromEntries(
  workspaces.map((ws) => [`@runwarden/${ws.split('/')[1]}`, `${root}${ws}/src/index.ts`]),
);

export default defineConfig({
  resolve: { alias },
  test: {
    globalSetup: [`${root}test/support/global-setup.ts`],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      ...workspaces.map((ws) => ({
        extends: true as const,
        test: { name: ws.split('/')[1], include: [`${ws}/src/**/*.test.ts`] },
      })),
      {
        extends: true as const,
        test: { name: 'system', include: ['test/**/*.test.ts'], testTimeout: 120_000 },
      },
    ],
  },
});
