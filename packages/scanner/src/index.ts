export { createScanner, type Scanner, type ScannerDeps, type ScanResult } from './scanner.js';
export {
  detectRunEvents,
  isComplete,
  outcomeOf,
  type RunObservation,
  type RunDetection,
} from './detect-run-events.js';
export { createScanCycle, type ScanCycleOptions, type ScanOutcome } from './scan-cycle.js';
