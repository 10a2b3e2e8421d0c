/**
 * The tree the archive benchmark zips: many small text files (logs, CSV,
 * JSON-ish), a few large random files (model weights, already-compressed
 * data) and a few large half-compressible ones. Deterministic for a seed.
 */
import { randomFillSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TreeSpec {
  smallFiles: number;
  /** Average size of a small text file. */
  smallBytes: number;
  largeRandom: number;
  largeMixed: number;
  /** Size of each large file. */
  largeBytes: number;
}

export const TREE_200MB: TreeSpec = {
  smallFiles: 12_000,
  smallBytes: 4_000,
  largeRandom: 6,
  largeMixed: 8,
  largeBytes: 10 * 1024 * 1024,
};
export const TREE_2GB: TreeSpec = {
  smallFiles: 40_000,
  smallBytes: 4_000,
  largeRandom: 40,
  largeMixed: 60,
  largeBytes: 18 * 1024 * 1024,
};

/** A small deterministic PRNG (mulberry32), so every run zips the same bytes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'step',
  'loss',
  'epoch',
  'batch',
  'accuracy',
  'token',
  'shard',
  'worker',
  'done',
  'retry',
  'INFO',
  'WARN',
  'checkpoint',
  'eval',
];

function textOf(bytes: number, rand: () => number): Buffer {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = `2025-12-05T14:${String(Math.floor(rand() * 60)).padStart(2, '0')}:${(rand() * 60).toFixed(3)}Z ${WORDS[Math.floor(rand() * WORDS.length)]} ${WORDS[Math.floor(rand() * WORDS.length)]}=${(rand() * 1000).toFixed(4)} id=${Math.floor(rand() * 1e9).toString(36)}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

/** Writes the tree under `root`; returns its size in bytes. */
export function generateTree(root: string, spec: TreeSpec, seed = 42): number {
  const rand = prng(seed);
  let total = 0;
  for (let i = 0; i < spec.smallFiles; i += 1) {
    const dir = path.join(
      root,
      `step-${String(i % 40).padStart(2, '0')}`,
      `part-${Math.floor(i / 400)}`,
    );
    mkdirSync(dir, { recursive: true });
    const bytes = Math.max(1, Math.floor(spec.smallBytes * (0.25 + rand() * 1.5)));
    writeFileSync(path.join(dir, `log-${i}.txt`), textOf(bytes, rand));
    total += bytes;
  }
  mkdirSync(path.join(root, 'models'), { recursive: true });
  const chunk = 256 * 1024;
  for (let i = 0; i < spec.largeRandom + spec.largeMixed; i += 1) {
    const mixed = i >= spec.largeRandom;
    const parts: Buffer[] = [];
    for (let done = 0, n = 0; done < spec.largeBytes; done += chunk, n += 1) {
      const len = Math.min(chunk, spec.largeBytes - done);
      parts.push(
        mixed && n % 2 === 1 ? textOf(len, rand) : randomFillSync(Buffer.allocUnsafe(len)),
      );
    }
    writeFileSync(
      path.join(root, 'models', `${mixed ? 'mixed' : 'weights'}-${i}.bin`),
      Buffer.concat(parts),
    );
    total += spec.largeBytes;
  }
  return total;
}
