/**
 * The scanner under benchmark, alone in its process so its CPU and RSS are
 * its own. Answers `{cmd:'stats'}` over IPC with cpu time and peak RSS.
 */
import {
  QueueSet,
  createLogger,
  createRedisConnection,
  runwardenConfigSchema,
} from '@runwarden/core';
import { createScanner } from '@runwarden/scanner';

const [database, redisUrl, prefix, mode] = process.argv.slice(2);
const config = runwardenConfigSchema.parse({
  database,
  redis: { url: redisUrl, prefix },
  log: { level: 'warn' },
  scanner: {
    pollInterval: '10s',
    stallThreshold: '30m',
    changeCheckInterval: '100ms',
    leaseTtl: '10s',
  },
});
const logger = createLogger({ level: 'warn', role: 'scanner' });
const connection = createRedisConnection(config.redis.url);
const queues = new QueueSet({ connection, prefix: config.redis.prefix, config });
const scanner = createScanner({
  config,
  logger,
  queues,
  redisUrl: config.redis.url,
  consumeLedger: false,
});
// Node, tsx and the libraries before the scanner does anything: the reference for its own footprint.
const baseRss = process.memoryUsage().rss;

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRss: process.resourceUsage().maxRSS * 1024,
      baseRss,
      at: Date.now(),
      leader: scanner.isLeader(),
    });
  }
  if (msg.cmd === 'stop')
    void scanner
      .close()
      .then(() => queues.close())
      .then(() => {
        connection.disconnect();
        process.exit(0);
      });
});
// `reference`: everything loaded, nothing started, to measure what the runtime (tsx) costs alone.
if (mode !== 'reference') await scanner.start();
else setInterval(() => undefined, 100);
process.send?.({ ready: true });
