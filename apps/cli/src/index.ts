export { runCli, createProgram } from './program.js';
export {
  startRuntime,
  WORKER_ROLES,
  type Role,
  type Runtime,
  type RuntimeDeps,
} from './runtime.js';
export { CliError } from './cli-error.js';
