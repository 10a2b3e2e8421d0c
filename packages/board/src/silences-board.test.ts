/**
 * Silences on the board: added and expired from a real chromium with
 * JavaScript off, refused cross-site and when read-only; the same silences
 * the CLI and the alert workers use.
 */
import { existsSync } from 'node:fs';
import { addSilence, listSilences, parseMatcher } from '@runwarden/alerts';
import { Redis } from 'ioredis';
import { chromium } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '@runwarden/testing';
import { authHeader, BOARD_PASSWORD, BOARD_USER, startBoard } from './board.fixture.js';

const CHROMIUM = '/usr/bin/chromium';

let ctx: TestContext;
let redis: Redis;
beforeEach(() => {
  ctx = createTestContext('board-silences');
  redis = new Redis(ctx.redisUrl);
  ctx.defer(() => redis.quit());
});
afterEach(() => ctx.cleanup());

describe('silences on the board', () => {
  it('refuses a cross-site add, and any add when read-only; lists silences made elsewhere', async () => {
    const { url } = await startBoard(ctx, { readOnly: false });
    const cross = await fetch(`${url}silences`, {
      method: 'POST',
      headers: {
        ...authHeader(),
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'matchers=pipeline%3Detl&for=1h',
    });
    expect(cross.status).toBe(403);
    expect(await listSilences(redis, ctx.prefix, Date.now())).toEqual([]);

    await addSilence(
      redis,
      ctx.prefix,
      {
        matchers: [parseMatcher('type=run_stalled')],
        endsAt: Date.now() + 3_600_000,
        createdBy: 'cli',
        comment: 'from the CLI',
      },
      Date.now(),
    );
    const ro = await startBoard({ ...ctx, prefix: ctx.prefix }, { readOnly: true });
    const page = await fetch(`${ro.url}silences`, { headers: authHeader() });
    const html = await page.text();
    expect(html).toContain('<code>type=run_stalled</code>');
    expect(html).toContain('from the CLI');
    expect(html).not.toContain('<form');
    const post = await fetch(`${ro.url}silences`, {
      method: 'POST',
      headers: authHeader(),
      body: '',
    });
    expect(post.status).toBe(403);
    expect((await fetch(`${url}silences`)).status).toBe(401);
  });

  it.skipIf(!existsSync(CHROMIUM))(
    'adds and expires a silence from chromium with JavaScript off',
    async () => {
      const { url } = await startBoard(ctx, { readOnly: false });
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu'],
        headless: true,
      });
      ctx.defer(() => browser.close());
      const context = await browser.newContext({
        javaScriptEnabled: false,
        httpCredentials: { username: BOARD_USER, password: BOARD_PASSWORD },
      });
      ctx.defer(() => context.close());
      const page = await context.newPage();
      await page.goto(`${url}silences`);
      await page.getByText('No active or pending silences.').waitFor();
      await page.locator('textarea[name=matchers]').fill('pipeline=nightly-etl\nrunId=~night-.*');
      await page.locator('input[name=for]').fill('2h');
      await page.locator('input[name=comment]').fill('migration');
      await page.getByRole('button', { name: 'Add silence' }).click();
      await page.getByText('migration').waitFor();
      const [s] = await listSilences(redis, ctx.prefix, Date.now());
      expect(s).toMatchObject({
        comment: 'migration',
        createdBy: 'board',
        matchers: [
          { field: 'pipeline', op: '=', value: 'nightly-etl' },
          { field: 'runId', op: '=~', value: 'night-.*' },
        ],
      });

      await page.locator('textarea[name=matchers]').fill('pipe=x');
      await page.getByRole('button', { name: 'Add silence' }).click();
      await page.getByRole('status').getByText('matcher "pipe=x": unknown field "pipe"').waitFor();

      await page.goto(`${url}silences`);
      await page.getByRole('button', { name: 'Expire' }).click();
      await page.getByText('No active or pending silences.').waitFor();
      expect(await listSilences(redis, ctx.prefix, Date.now())).toEqual([]);
    },
  );
});
