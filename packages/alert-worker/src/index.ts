export {
  createAlertWorker,
  type AlertWorker,
  type AlertWorkerDeps,
} from './create-alert-worker.js';
