export { matchRules, groupOf } from './rules.js';
export { summarizeEvent, type Notification } from './notification.js';
export {
  alertNotification,
  digestNotification,
  deadLetterNotification,
} from './build-notification.js';
export { decide, takeDigest, digestId } from './throttle.js';
export { claimDelivery, markDeliverySent, releaseDelivery } from './delivery-claim.js';
export { reserveSlot, holdChannelUntil } from './pacing.js';
export { incrementStat, readAlertStats } from './stats.js';
export { ChannelError, type Channel } from './channels/channel.js';
export { createChannels, describeChannels, logChannelStatus } from './channels/create-channels.js';
export { sendTestAlert } from './test-alert.js';
export {
  addSilence,
  expireSilence,
  findSilence,
  listSilences,
  parseMatcher,
  formatMatcher,
  silenceState,
  SilenceError,
  SILENCE_FIELDS,
  KEEP_ENDED_MS,
  type Silence,
} from './silences.js';
