/**
 * The console channel: the seed's format, colour only on a TTY.
 *
 *   [ALERT] 2025-12-05T14:32:17.000Z - CRITICAL
 *     rule:  run_failure
 *     event: run_completed (42.completed)
 *     run:   42 (pipeline etl)
 *     steps: 4/5
 *     run 42 failed (4/5 steps)
 */
import { showControlChars, type Severity } from '@runwarden/core';
import { runList, type Notification } from '../notification.js';
import type { Channel } from './channel.js';

export interface ConsoleChannelOptions {
  /** Where lines go. @defaultValue process.stdout */
  out?: NodeJS.WritableStream;
  /** @defaultValue 'auto' (colour when `out` is a TTY) */
  color?: 'auto' | 'always' | 'never';
  clock?: () => number;
}

const COLOURS: Record<Severity | 'resolved', string> = {
  critical: '\x1b[1;31m',
  high: '\x1b[31m',
  medium: '\x1b[33m',
  low: '\x1b[36m',
  resolved: '\x1b[32m',
};
const RESET = '\x1b[0m';

/**
 * Run ids, step errors and pipeline names are the pipeline's text: their
 * control characters are shown as `\u001b` and the like, never sent to the
 * terminal (an `ESC ]` sequence can retitle it or write the clipboard).
 */
export function formatConsole(n: Notification, at: string, colour: boolean): string {
  const shown = showControlChars;
  const tag = n.status === 'resolved' ? 'RESOLVED' : n.severity.toUpperCase();
  const paint = (text: string) =>
    colour ? `${COLOURS[n.status === 'resolved' ? 'resolved' : n.severity]}${text}${RESET}` : text;
  const kind = n.kind === 'alert' || n.kind === 'resolved' ? '' : ` (${n.kind.replace('_', ' ')})`;
  const lines = [`${paint(`[ALERT] ${at} - ${tag}`)}${kind}`, `  rule:  ${shown(n.rule)}`];
  const single = n.eventCount === 1 ? n.events[0] : undefined;
  if (single) {
    lines.push(
      `  event: ${shown(single.type)} (${shown(single.id)})`,
      `  run:   ${shown(single.runId)}${single.pipeline ? ` (pipeline ${shown(single.pipeline)})` : ''}`,
    );
    if (single.steps) lines.push(`  steps: ${shown(single.steps)}`);
  } else if (n.eventCount > 1) {
    lines.push(`  events: ${n.eventCount}`, `  runs:  ${shown(runList(n))}`);
  }
  lines.push(`  ${shown(n.title)}`);
  return `${lines.join('\n')}\n`;
}

export function createConsoleChannel(options: ConsoleChannelOptions = {}): Channel {
  const out = options.out ?? process.stdout;
  const colour =
    options.color === 'always' ||
    (options.color !== 'never' && (out as { isTTY?: boolean }).isTTY === true);
  const clock = options.clock ?? Date.now;
  return {
    name: 'console',
    enabled: true,
    timeoutMs: 1_000,
    async send(n) {
      const text = formatConsole(n, new Date(clock()).toISOString(), colour);
      // Respect back-pressure so a slow terminal slows us down instead of buffering without bound.
      if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
      return 'written to the console';
    },
  };
}
