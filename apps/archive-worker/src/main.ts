// The archive worker on its own: `node apps/archive-worker/dist/main.js [--config file]`.
import { runRole } from '@runwarden/core';
import { createArchiveWorker } from './archive-worker.js';

await runRole('archive-worker', async (deps) => createArchiveWorker(deps));
