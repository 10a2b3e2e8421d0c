export { createScanner, type Scanner, type ScannerDeps } from './scanner.js';
export type { ScanResult } from './scan-step.js';
export { detectRunEvents } from './detect-run-events.js';
export { createScanCycle } from './scan-cycle.js';
