export { createScanner, type Scanner, type ScannerDeps } from './scanner.js';
export type { ScanResult } from './scan-step.js';
export {
  detectRunEvents,
  isComplete,
  outcomeOf,
  type RunObservation,
  type RunDetection,
} from './detect-run-events.js';
export { createScanCycle, type ScanCycleOptions, type ScanOutcome } from './scan-cycle.js';
