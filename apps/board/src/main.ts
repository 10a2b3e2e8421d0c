/**
 * The board on its own: `node apps/board/dist/main.js [--config file] [--open] [--allow-edits]`.
 * Normally started by `runwarden board`; this exists for running it without the CLI.
 * Exit status: 2 for bad configuration or usage, 1 for a failure at run time.
 */
import { parseArgs } from 'node:util';
import { createLogger, installShutdown, loadConfig, RunwardenError } from '@runwarden/core';
import { createBoard, type Board } from './create-board.js';

const logger = createLogger({ role: 'board' });
let board: Board | undefined;
try {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      open: { type: 'boolean', default: false },
      'allow-edits': { type: 'boolean', default: false },
    },
  });
  const { config } = loadConfig({ configPath: values.config });
  if (values['allow-edits']) config.board.readOnly = false;
  if (!process.env.LOG_LEVEL) logger.level = config.log.level;
  board = createBoard({
    config,
    logger,
    redisUrl: config.redis.url,
    prefix: config.redis.prefix,
    open: values.open,
  });
  installShutdown(board, logger);
  await board.listen();
} catch (err) {
  const usage =
    err instanceof RunwardenError
      ? err.code === 'USAGE' || err.code === 'CONFIG_INVALID'
      : (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  const message = err instanceof Error ? err.message : String(err);
  logger.fatal({ err: message }, usage ? message : `The board could not start: ${message}`);
  await board?.close().catch(() => undefined);
  logger.flush();
  process.exitCode = usage ? 2 : 1;
}
