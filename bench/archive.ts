/**
 * `npm run bench -- archive [--large] [--rounds=N] [--built] [--threads=N]`: runwarden's
 * archive and verify against Info-ZIP on the same generated tree, in the same run,
 * and the writers the README compares with (archiver, yazl: dev dependencies).
 * `--built` runs the measured child from the compiled packages (dist/, as in
 * production; `npx turbo run build` first) instead of the TypeScript sources
 * through tsx, whose loader costs memory in the process and in every zip thread.
 *
 *   generate tree (once, cached in the temp folder)
 *   ─▶ per round: zip -r -q -6 │ runwarden zip (child) │ archiver │ yazl │ unzip -tq │ runwarden verify (child)
 *                 │ runwarden archive job end to end (child: zip + verify + manifest + rename)
 *   ─▶ best of the rounds for each ─▶ ratios, output size, peak RSS, event-loop delay
 *
 * Each step runs in a process of its own so peak RSS is that step's alone.
 * Zip threads: `--threads`, else `archive.threads`' default; with `--large`
 * the job is also run once with one thread more, to show what a thread costs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runwardenConfigSchema } from '@runwarden/core';
import ts from 'typescript';
import { generateTree, TREE_200MB, TREE_2GB } from './archive-tree.js';
import type { Bench, BenchFigure } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const MB = 1024 * 1024;

interface Step {
  ms: number;
  maxRssMb: number;
  maxLoopDelayMs?: number;
  /** Highest of each `process.memoryUsage()` figure in the child, MB. */
  peak?: Record<string, number>;
}

/** Runs a system tool under /usr/bin/time for its peak RSS. */
function timed(cmd: string, args: string[], cwd: string): Step {
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { cwd, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return { ms, maxRssMb: Number(r.stderr.trim().split('\n').at(-1)) / 1024 };
}

/**
 * How the child is started. Built: the child's own few lines are transpiled
 * to a module under node_modules/.cache (from where `@runwarden/archive`
 * resolves to its dist/), so no TypeScript loader is in the measured process.
 * (Not `--eval`: zip threads inherit the process's flags, `--input-type` too.)
 */
function childCommand(built: boolean): string[] {
  const source = path.join(root, 'bench/archive-child.ts');
  if (!built) return ['--conditions=@runwarden/source', '--import', 'tsx', source];
  const code = ts.transpileModule(readFileSync(source, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = path.join(root, 'node_modules/.cache/runwarden-bench/archive-child.mjs');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, code);
  return [file];
}

function child(command: string[], args: string[], threads: number): Step {
  const r = spawnSync(process.execPath, [...command, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, BENCH_ZIP_THREADS: String(threads) },
  });
  if (r.status !== 0) throw new Error(`archive-child ${args[0]} failed: ${r.stderr}`);
  const step = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Step;
  console.error(
    `  ${args[0]}: ${(step.ms / 1000).toFixed(1)} s, peak RSS ${step.maxRssMb.toFixed(0)} MB ${JSON.stringify(step.peak ?? {})}`,
  );
  return step;
}

function best(steps: Step[]): Step {
  return steps.reduce((a, b) => (b.ms < a.ms ? b : a));
}

function prepareTree(large: boolean): { base: string; bytes: number } {
  const base = path.join(os.tmpdir(), `runwarden-bench-archive-${large ? '2gb' : '200mb'}`);
  const marker = path.join(base, 'ready.json');
  if (!existsSync(marker)) {
    rmSync(base, { recursive: true, force: true });
    console.error(`generating the ${large ? '2 GB' : '200 MB'} tree under ${base} …`);
    const bytes = generateTree(
      path.join(base, 'worktrees', 'bench-run'),
      large ? TREE_2GB : TREE_200MB,
    );
    writeFileSync(marker, JSON.stringify({ bytes }));
  }
  return {
    base,
    bytes: (
      JSON.parse(spawnSync('cat', [marker], { encoding: 'utf8' }).stdout) as { bytes: number }
    ).bytes,
  };
}

export const run: Bench = async (args) => {
  const large = args.includes('--large');
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? 2);
  const built = args.includes('--built');
  const threads = Number(
    args.find((a) => a.startsWith('--threads='))?.split('=')[1] ??
      runwardenConfigSchema.parse({}).archive.threads,
  );
  const command = childCommand(built);
  const { base, bytes } = prepareTree(large);
  const tree = path.join(base, 'worktrees', 'bench-run');
  const out = path.join(base, 'out');
  mkdirSync(out, { recursive: true });
  const refZip = path.join(out, 'info-zip.zip');
  const ourZip = path.join(out, 'archive', 'bench-run.zip');
  const steps = {
    zip: [] as Step[],
    ours: [] as Step[],
    unzip: [] as Step[],
    verify: [] as Step[],
    job: [] as Step[],
    archiver: [] as Step[],
    yazl: [] as Step[],
  };
  for (let i = 0; i < rounds; i += 1) {
    console.error(`round ${i + 1}/${rounds}: zip -r -q -6 …`);
    rmSync(refZip, { force: true });
    steps.zip.push(timed('zip', ['-r', '-q', '-6', refZip, '.'], tree));
    console.error(`round ${i + 1}/${rounds}: runwarden zip …`);
    steps.ours.push(child(command, ['zip', tree, path.join(out, 'runwarden.zip'), '6'], threads));
    console.error(`round ${i + 1}/${rounds}: archiver, yazl (level 6) …`);
    steps.archiver.push(child(command, ['archiver', tree, path.join(out, 'archiver.zip'), '6'], 1));
    steps.yazl.push(child(command, ['yazl', tree, path.join(out, 'yazl.zip'), '6'], 1));
    console.error(`round ${i + 1}/${rounds}: runwarden archive job (zip + verify) …`);
    steps.job.push(
      child(
        command,
        ['archive', path.join(base, 'worktrees'), 'bench-run', path.join(out, 'archive'), '6'],
        threads,
      ),
    );
    console.error(`round ${i + 1}/${rounds}: unzip -tq / runwarden verify …`);
    steps.unzip.push(timed('unzip', ['-tq', ourZip], out));
    steps.verify.push(child(command, ['verify', ourZip], threads));
  }
  const baseline = child(command, ['baseline'], threads);
  const more = threads + 1;
  const jobMoreThreads = large
    ? child(
        command,
        ['archive', path.join(base, 'worktrees'), 'bench-run', path.join(out, 'archive'), '6'],
        more,
      )
    : undefined;
  const [zip, ours, unzip, verify, job] = [
    best(steps.zip),
    best(steps.ours),
    best(steps.unzip),
    best(steps.verify),
    best(steps.job),
  ];
  const mode = `${threads} zip thread${threads > 1 ? 's' : ''}; ${
    built ? 'compiled dist/' : 'source mode: tsx in the main process and in each zip thread'
  }`;
  const [archiverStep, yazlStep] = [best(steps.archiver), best(steps.yazl)];
  const zipThenTest = { ms: zip.ms + unzip.ms, maxRssMb: zip.maxRssMb };
  const mbs = (s: Step) => bytes / MB / (s.ms / 1000);
  const tree_ = `${(bytes / MB).toFixed(0)} MiB tree`;
  const figure = (f: Omit<BenchFigure, 'group'>): BenchFigure => ({ group: 'archive', ...f });
  const archiveRatio = mbs(ours) / mbs(zip);
  const verifyRatio = mbs(verify) / mbs(unzip);
  const sizeRatio = statSync(ourZip).size / statSync(refZip).size;
  const rssTarget = large ? 200 : undefined;
  return [
    figure({
      name: `archive throughput (${tree_})`,
      value: mbs(ours),
      unit: 'MiB/s',
      reference: { name: 'zip -r -q -6', value: mbs(zip), unit: 'MiB/s' },
      ratio: archiveRatio,
      target: 'ratio ≥ 1.3',
      met: archiveRatio >= 1.3,
    }),
    ...(
      [
        ['archiver', archiverStep],
        ['yazl', yazlStep],
      ] as const
    ).map(([name, step]) =>
      figure({
        name: `runwarden zip against ${name} (${tree_})`,
        value: mbs(ours),
        unit: 'MiB/s',
        reference: { name: `${name}, level 6`, value: mbs(step), unit: 'MiB/s' },
        ratio: mbs(ours) / mbs(step),
        note: `${name}: peak RSS ${step.maxRssMb.toFixed(0)} MB, ${(statSync(path.join(out, `${name}.zip`)).size / MB).toFixed(1)} MiB out`,
      }),
    ),
    figure({
      name: `archive job end to end (${tree_})`,
      value: mbs(job),
      unit: 'MiB/s',
      reference: { name: 'zip -r -q -6 then unzip -tq', value: mbs(zipThenTest), unit: 'MiB/s' },
      ratio: mbs(job) / mbs(zipThenTest),
      note: 'scan, write, verify, manifest, rename',
    }),
    figure({
      name: `verify throughput (${tree_})`,
      value: mbs(verify),
      unit: 'MiB/s',
      reference: { name: 'unzip -tq', value: mbs(unzip), unit: 'MiB/s' },
      ratio: verifyRatio,
      target: 'ratio ≥ 1.0',
      met: verifyRatio >= 1.0,
    }),
    figure({
      name: 'zip size vs Info-ZIP',
      value: statSync(ourZip).size / MB,
      unit: 'MiB',
      reference: { name: 'zip -6 output', value: statSync(refZip).size / MB, unit: 'MiB' },
      ratio: sizeRatio,
      target: 'ratio ≤ 1.02',
      met: sizeRatio <= 1.02,
    }),
    figure({
      name: 'archive job peak RSS',
      value: Math.max(ours.maxRssMb, job.maxRssMb),
      unit: 'MB',
      reference: { name: 'zip', value: zip.maxRssMb, unit: 'MB' },
      target: rssTarget ? '≤ 200 MB (2 GB tree)' : 'informational (≤ 200 MB is for --large)',
      met: rssTarget ? Math.max(ours.maxRssMb, job.maxRssMb) <= rssTarget : undefined,
      note: `${mode}; ${job.maxRssMb.toFixed(0)} MB for the job with verify`,
    }),
    figure({
      name: 'verify peak RSS',
      value: verify.maxRssMb,
      unit: 'MB',
      reference: { name: 'unzip -tq', value: unzip.maxRssMb, unit: 'MB' },
      note: mode,
    }),
    ...(jobMoreThreads
      ? [
          figure({
            name: `archive job with ${more} zip threads (${tree_})`,
            value: mbs(jobMoreThreads),
            unit: 'MiB/s',
            reference: { name: `${threads} thread(s)`, value: mbs(job), unit: 'MiB/s' },
            ratio: mbs(jobMoreThreads) / mbs(job),
            note: `peak RSS ${jobMoreThreads.maxRssMb.toFixed(0)} MB against ${job.maxRssMb.toFixed(0)} MB`,
          }),
        ]
      : []),
    figure({
      name: 'worker baseline RSS (packages loaded, threads started, no job)',
      value: baseline.maxRssMb,
      unit: 'MB',
      note: mode,
    }),
    figure({
      name: 'archive max event-loop delay',
      value: Math.max(ours.maxLoopDelayMs ?? NaN, job.maxLoopDelayMs ?? NaN),
      unit: 'ms',
      target: '≪ lockDuration (30 s)',
      met: Math.max(ours.maxLoopDelayMs ?? Infinity, job.maxLoopDelayMs ?? Infinity) < 1_000,
    }),
  ];
};
