/**
 * The board shows job data with secrets masked. Editing a job's data or
 * adding a job copied from the UI would write the mask into Redis in place
 * of the secret, so such requests are refused with a message saying why.
 */
import express, { Router } from 'express';
import { containsRedacted, REDACTED } from './redact-job-data.js';

const GUARDED = ['/api/queues/:queueName/:jobId/update-data', '/api/queues/:queueName/add'];

export function createEditGuard(): Router {
  const router = Router();
  router.use(GUARDED, express.json(), (req, res, next) => {
    if (req.method === 'GET' || !containsRedacted(req.body)) {
      next();
      return;
    }
    res.status(400).json({
      error: `The job data contains ${REDACTED} values, which the board shows in place of secrets. Saving them would overwrite the real values: type the real values in, or change the job with the runwarden CLI.`,
    });
  });
  return router;
}
