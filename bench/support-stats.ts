/** Small statistics shared by the benchmarks. */

/** The q-quantile (0…1) of `xs` by the nearest-rank method; NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

/** p50, p95 and p99 of `xs` in one sort. */
export function percentiles(xs: readonly number[]): {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
} {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s.at(-1) ?? NaN, count: s.length };
}
