// The alert worker on its own: `node apps/alert-worker/dist/main.js [--config file]`.
import { runRole } from '@runwarden/core';
import { createAlertWorker } from './create-alert-worker.js';

await runRole('alert-worker', async (deps) => createAlertWorker(deps));
