/**
 * Test support for every workspace's tests (the whole-system harness, which
 * starts real `runwarden` roles, stays in `test/support/`). Private: never
 * built, never a dependency of shipped code, only a devDependency.
 */
export {
  REPO_ROOT,
  SOURCE_NODE_ARGS,
  TSX_LOADER,
  runCliProcess,
  spawnCli,
  type CliRun,
} from './cli.js';
export { createTestContext, waitFor, type TestContext } from './context.js';
export { completedEvent, step } from './fixtures.js';
export {
  freePort,
  startRedisCluster,
  startRedisSentinel,
  startRedisServer,
  type RedisServer,
  type RedisTopology,
} from './redis-server.js';
export { compareExtraction, unzipTest } from './zip-checks.js';
export { attachments, mimeParts, plainText, type MimePart } from './mime-parts.js';
