/**
 * Progress for people: a bar on a terminal, plain figures everywhere else
 * (logs, pipes, CI), so nothing downstream has to strip escape codes.
 */
export interface ProgressFigures {
  done: number;
  total: number;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatProgress({ done, total }: ProgressFigures, tty: boolean, width = 24): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const figures = `${mib(done)} of ${mib(total)}`;
  if (!tty) return `${percent} (${figures})`;
  const filled = Math.round(fraction * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${percent} ${figures}`;
}

/** The same bar for a count of things (`runs`, …) rather than bytes. */
export function formatCount(
  { done, total }: ProgressFigures,
  unit: string,
  tty: boolean,
  width = 24,
): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const figures = `${done}/${total} ${unit}`;
  if (!tty) return `${percent} (${figures})`;
  const filled = Math.round(fraction * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${percent} ${figures}`;
}
