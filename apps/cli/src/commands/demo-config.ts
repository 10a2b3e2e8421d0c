/** The demo's configuration files: short windows, so a demo takes seconds, not hours. */
export function demoConfigFiles(
  dir: string,
  redisUrl: string,
  prefix: string,
): Record<string, string> {
  const runwarden = `# Written by \`runwarden demo\`.
database: ${JSON.stringify(`${dir}/orchestration.db`)}
redis: { url: ${JSON.stringify(redisUrl)}, prefix: ${JSON.stringify(prefix)} }
paths: { worktrees: .worktrees, archive: .archive, reports: reports }
scanner: { pollInterval: 250ms, stallThreshold: 2s, changeCheckInterval: 100ms, leaseTtl: 2s }
archive: { diskSpaceFactor: 1.5, concurrency: 2 }
queues:
  archive: { attempts: 3, backoff: { type: exponential, delay: 200ms } }
  report: { attempts: 3, backoff: { type: exponential, delay: 200ms } }
  alert: { attempts: 3, backoff: { type: exponential, delay: 200ms } }
alerts: alerts.yaml
`;
  const alerts = `# Written by \`runwarden demo\`: the shipped rules with short windows, console only.
channels:
  console: {}
rules:
  - { name: run_failure, match: { type: run_completed, outcome: failed }, severity: critical, throttle: 15s, groupBy: [pipeline], channels: [console] }
  - { name: archival_failure, match: { type: archival_failed }, severity: high, throttle: 30s, groupBy: [pipeline], channels: [console] }
  - { name: run_stalled, match: { type: run_stalled }, severity: medium, throttle: 60s, groupBy: [pipeline], channels: [console] }
  - { name: run_recovered, match: { type: run_recovered }, severity: medium, resolves: run_stalled, channels: [console] }
  - { name: step_failure, match: { type: step_failed }, severity: medium, throttle: 30s, groupBy: [pipeline], channels: [console] }
  - { name: run_completed, match: { type: run_completed }, severity: low, channels: [console] }
`;
  return { 'runwarden.yaml': runwarden, 'alerts.yaml': alerts };
}
