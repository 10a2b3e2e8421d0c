export {
  createAlertWorker,
  type AlertWorker,
  type AlertWorkerDeps,
} from './create-alert-worker.js';
export { DIGEST_JOB, deliveryId, type DeliveryJobData, type DigestJobData } from './job-data.js';
export {
  sendTestAlert,
  describeChannels,
  alertStatsKey,
  readAlertStats,
  type TestAlertResult,
  type ChannelDescription,
} from '@runwarden/alerts';
