export {
  ruleMatches,
  matchRules,
  groupOf,
  eventField,
  type AlertGroup,
  type MatchField,
} from './rules.js';
export {
  summarizeEvent,
  headline,
  runList,
  MAX_LISTED_EVENTS,
  type EventSummary,
  type Notification,
  type NotificationKind,
} from './notification.js';
export {
  alertNotification,
  digestNotification,
  deadLetterNotification,
  testNotification,
  resolvedEventId,
  type DigestInput,
} from './build-notification.js';
export { alertKeys, alertStatsKey } from './keys.js';
export {
  decide,
  takeDigest,
  digestId,
  type ThrottleDecision,
  type DecideOptions,
  type TakeDigestOptions,
} from './throttle.js';
export {
  claimDelivery,
  markDeliverySent,
  releaseDelivery,
  type ClaimResult,
  type DeliveryClaimOptions,
} from './delivery-claim.js';
export { reserveSlot, holdChannelUntil } from './pacing.js';
export { incrementStat, readAlertStats } from './stats.js';
export {
  ChannelError,
  scrubSecrets,
  parseRetryAfter,
  kindForStatus,
  idempotencyKey,
  type Channel,
  type ChannelFailureKind,
} from './channels/channel.js';
export {
  createConsoleChannel,
  formatConsole,
  type ConsoleChannelOptions,
} from './channels/console.js';
export {
  createSlackChannel,
  slackMessage,
  escapeSlack,
  type SlackChannelOptions,
} from './channels/slack.js';
export { createEmailChannel, emailBody, type EmailChannelOptions } from './channels/email.js';
export {
  createWebhookChannel,
  webhookPayload,
  WEBHOOK_PAYLOAD_VERSION,
  type WebhookChannelOptions,
  type WebhookPayload,
} from './channels/webhook.js';
export { boundedFetch, MAX_ANSWER_BYTES, HttpFailure } from './channels/bounded-fetch.js';
export {
  createChannels,
  describeChannels,
  logChannelStatus,
  type ChannelDescription,
  type CreateChannelsOptions,
} from './channels/create-channels.js';
export { sendTestAlert, type SendTestAlertOptions, type TestAlertResult } from './test-alert.js';
export {
  addSilence,
  expireSilence,
  findSilence,
  listSilences,
  parseMatcher,
  formatMatcher,
  silenceMatches,
  silenceState,
  silenceKeys,
  SilenceError,
  SILENCE_FIELDS,
  MATCHER_OPS,
  KEEP_ENDED_MS,
  type Silence,
  type SilenceMatcher,
  type SilenceField,
  type SilenceState,
  type MatcherOp,
  type NewSilence,
} from './silences.js';
