export { createProgram } from './program.js';
export {
  startRuntime,
  WORKER_ROLES,
  type Role,
  type Runtime,
  type RuntimeDeps,
} from './runtime.js';
// For the whole-system doctor test (test/e2e/doctor.test.ts).
export { parseInfo, redisInfoChecks } from './doctor/check-redis.js';
export { runDoctor } from './doctor/run-doctor.js';
export type { DoctorCheck } from './doctor/doctor-check.js';
