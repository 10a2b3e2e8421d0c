#!/usr/bin/env node
// The `runwarden` command. Exit status: 0 done, 1 failed at run time, 2 bad usage or bad configuration.
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
// Exit now: connections a command left open must not keep it alive. Nothing is
// lost: pino's asynchronous destination flushes itself synchronously on exit,
// and on Linux writes to stdout and stderr (files, pipes, terminals) are synchronous.
process.exit(code);
