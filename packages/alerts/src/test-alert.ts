/**
 * `runwarden alert test [--channel X]`: sends one test notification straight
 * through each enabled channel (no queue, no throttle) and reports, per
 * channel, success or the exact error with secrets removed.
 */
import { RunwardenError, type AlertsConfig, type Logger } from '@runwarden/core';
import { testNotification } from './build-notification.js';
import { createChannels } from './channels/create-channels.js';

export interface SendTestAlertOptions {
  /** Only this channel (then a disabled one is reported as failed, with why). */
  channel?: string;
  logger?: Logger;
  consoleOut?: NodeJS.WritableStream;
  clock?: () => number;
}

export interface TestAlertResult {
  channel: string;
  ok: boolean;
  detail: string;
}

export async function sendTestAlert(
  alerts: AlertsConfig,
  options: SendTestAlertOptions = {},
): Promise<TestAlertResult[]> {
  const clock = options.clock ?? Date.now;
  const all = createChannels(alerts, {
    ...(options.consoleOut ? { consoleOut: options.consoleOut } : {}),
    clock,
  });
  const chosen =
    options.channel === undefined
      ? all.filter((c) => c.enabled)
      : all.filter((c) => c.name === options.channel);
  if (options.channel !== undefined && chosen.length === 0) {
    throw new RunwardenError(
      'USAGE',
      `unknown channel ${JSON.stringify(options.channel)}; expected one of ${all.map((c) => c.name).join(', ')}`,
    );
  }
  const notification = testNotification(clock());
  const results: TestAlertResult[] = [];
  for (const channel of chosen) {
    if (!channel.enabled) {
      results.push({
        channel: channel.name,
        ok: false,
        detail: `disabled: ${channel.disabledReason ?? 'not configured'}`,
      });
      continue;
    }
    try {
      results.push({ channel: channel.name, ok: true, detail: await channel.send(notification) });
    } catch (err) {
      // ChannelError messages are already scrubbed of secrets.
      results.push({ channel: channel.name, ok: false, detail: (err as Error).message });
    } finally {
      await channel.close?.();
    }
    const last = results[results.length - 1]!;
    options.logger?.[last.ok ? 'info' : 'warn'](
      { channel: last.channel, ok: last.ok },
      `Test alert on ${last.channel}: ${last.ok ? 'sent' : 'failed'}: ${last.detail}`,
    );
  }
  return results;
}
