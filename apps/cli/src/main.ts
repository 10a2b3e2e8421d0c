#!/usr/bin/env node
// The `runwarden` command. Exit status: 0 done, 1 failed at run time, 2 bad usage or bad configuration.
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
// Give pino's async destination a moment to flush before exiting.
setTimeout(() => process.exit(code), 100);
process.exitCode = code;
