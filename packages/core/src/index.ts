// `@runwarden/core`: the essentials (their named list is in essentials.ts) and
// the BullMQ half: the queue set and the worker harness.
export * from './essentials.js';
export { QueueSet, type DeadLetter } from './queue-set.js';
export { createQueueWorker, describeJobsInHand, type QueueWorker } from './harness.js';
