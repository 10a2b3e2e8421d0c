export * from './essentials.js';
export * from './queue-set.js';
export * from './harness.js';
