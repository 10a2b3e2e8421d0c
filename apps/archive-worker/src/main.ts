// The archive worker on its own: `node apps/archive-worker/dist/main.js [--config file]`.
import { closeAll, runRole } from '@runwarden/core';
import { createArchiveWorker } from './archive-worker.js';
import { createRetentionJob } from './retention-job.js';

await runRole('archive-worker', async (deps) => {
  const worker = createArchiveWorker(deps);
  const retention = createRetentionJob(deps);
  return { close: () => closeAll([() => worker.close(), () => retention.close()], 'close') };
});
