// The report worker on its own: `node apps/report-worker/dist/main.js [--config file]`.
import { runRole } from '@runwarden/core';
import { createReportWorker } from './report-worker.js';

await runRole('report-worker', async (deps) => createReportWorker(deps));
