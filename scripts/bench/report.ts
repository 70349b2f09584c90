/**
 * Figures: what a benchmark measured, its target and whether it is met. Printed as one line for a
 * person and one JSON line for machines (`{"figure": ...}`), and gathered for docs/benchmarks.md.
 */

/** Percentiles by the nearest-rank method: p99 of 200 samples is the 198th smallest. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] as number;
}

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    p50: round(percentile(values, 0.5)),
    p90: round(percentile(values, 0.9)),
    p99: round(percentile(values, 0.99)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
  };
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** One measured figure. `met` is null when the figure has no target (it is context for the others). */
export interface Figure {
  bench: string;
  /** Stable id, e.g. `push.job.p50`. */
  id: string;
  /** What it is, in words. */
  label: string;
  value: number;
  unit: string;
  /** The target in words, e.g. `<= 2.5 x floor (412 ms)`. */
  target: string | null;
  met: boolean | null;
  /** Samples, percentiles, phases, counts: whatever explains the value. */
  detail?: Record<string, unknown>;
}

/** A figure with a target `value <= limit`. */
export function atMost(base: Omit<Figure, 'target' | 'met'>, limit: number, targetText: string): Figure {
  return { ...base, target: targetText, met: base.value <= limit };
}

/** A figure with a target `value >= floor`. */
export function atLeast(base: Omit<Figure, 'target' | 'met'>, floor: number, targetText: string): Figure {
  return { ...base, target: targetText, met: base.value >= floor };
}

/** A figure without a target. */
export function info(base: Omit<Figure, 'target' | 'met'>): Figure {
  return { ...base, target: null, met: null };
}

function formatValue(figure: Figure): string {
  const value = Number.isInteger(figure.value) ? String(figure.value) : figure.value.toFixed(1);
  return `${value} ${figure.unit}`.trim();
}

/** The line for a person: `MET   push.job.p50  push -> Job created, p50 = 640 ms (target <= ...)`. */
export function humanLine(figure: Figure): string {
  const verdict = figure.met === null ? 'info ' : figure.met ? 'MET  ' : 'MISS ';
  const target = figure.target === null ? '' : `  (target ${figure.target})`;
  return `${verdict} ${figure.id.padEnd(34)} ${figure.label} = ${formatValue(figure)}${target}`;
}

/** The line for machines. */
export function jsonLine(figure: Figure): string {
  return JSON.stringify({ figure: figure.id, ...figure });
}
