/** One figure a benchmark prints, with the reference measured in the same run. */
export interface BenchFigure {
  /** Benchmark group: scanner, archive, alerts, pipeline. */
  group: string;
  name: string;
  value: number;
  unit: string;
  /** What it is compared with, measured in the same run (e.g. `zip -r -q -6`). */
  reference?: { name: string; value: number; unit: string };
  /** value ÷ reference (or the ratio the target is about). */
  ratio?: number;
  /** The target as text, e.g. `≤ 500 ms` or `ratio ≥ 1.3`. */
  target?: string;
  met?: boolean;
  note?: string;
}

export type Bench = (args: string[]) => Promise<BenchFigure[]>;
