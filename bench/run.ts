/**
 * `npm run bench [-- <group>…]`: runs the benchmarks, prints one table, and
 * writes the same figures as JSON under bench/results/.
 * Figures are printed, never asserted: machines are noisy; compare ratios.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchFigure } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const GROUPS: Record<string, () => Promise<{ run: Bench }>> = {
  scanner: () => import('./scanner.js'),
  archive: () => import('./archive.js'),
  alerts: () => import('./alerts.js'),
  pipeline: () => import('./pipeline.js'),
  cli: () => import('./cli.js'),
  failover: () => import('./failover.js'),
};

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function printTable(figures: BenchFigure[]): void {
  const rows = figures.map((f) => [
    f.group,
    f.name,
    `${fmt(f.value)} ${f.unit}`,
    f.reference ? `${f.reference.name}: ${fmt(f.reference.value)} ${f.reference.unit}` : '',
    f.ratio !== undefined ? fmt(f.ratio) : '',
    f.target ?? '',
    f.met === undefined ? '' : f.met ? 'met' : 'NOT met',
  ]);
  const header = ['group', 'figure', 'value', 'reference (same run)', 'ratio', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const wanted = args.filter((a) => !a.startsWith('-'));
  const groups = wanted.length > 0 ? wanted : Object.keys(GROUPS);
  const unknown = groups.filter((g) => !GROUPS[g]);
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(GROUPS).join(', ')}`,
    );
    process.exit(2);
  }
  const figures: BenchFigure[] = [];
  for (const group of groups) {
    console.error(`running benchmark: ${group} …`);
    const { run } = await GROUPS[group]!();
    figures.push(...(await run(args.filter((a) => a.startsWith('-')))));
  }
  printTable(figures);
  const dir = path.join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        host: { cpus: os.cpus().length, node: process.version },
        figures,
      },
      null,
      2,
    ),
  );
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
