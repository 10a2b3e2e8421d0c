export {
  createAlertWorker,
  type AlertWorker,
  type AlertWorkerDeps,
} from './create-alert-worker.js';
export { DIGEST_JOB, deliveryId, type DeliveryJobData, type DigestJobData } from './job-data.js';
