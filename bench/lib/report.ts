/**
 * What every benchmark prints: one JSON line per metric, `{metric, value, unit, baseline?,
 * ratio?, target?, params}`, on stdout (progress goes to stderr).
 */
/** CPU time (µs, user + system) and NATS messages received and sent of a process, over a span or per event. */
export interface ProcessWork {
  cpuUs: number;
  inMsgs: number;
  outMsgs: number;
}

export interface Metric {
  metric: string;
  value: number;
  unit: string;
  /** The same quantity for the floor measured in the same run, on the same nats-server. */
  baseline?: number;
  /** value ÷ baseline (or baseline ÷ value for latencies, as named by the metric). */
  ratio?: number;
  /** What the issue asks for, e.g. ">= 0.70" or "<= 17000". */
  target?: string;
  params: Record<string, unknown>;
}

/** Under `node --test` (the smoke variants) metrics are returned, not printed. */
const QUIET = process.env.NODE_TEST_CONTEXT !== undefined;

export function emit(m: Metric): Metric {
  const rounded = { ...m, value: round(m.value) };
  if (m.baseline !== undefined) rounded.baseline = round(m.baseline);
  if (m.ratio !== undefined) rounded.ratio = round(m.ratio, 3);
  if (!QUIET) process.stdout.write(`${JSON.stringify(rounded)}\n`);
  return rounded;
}

export function progress(message: string): void {
  if (QUIET) return;
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** p-th percentile (0..100) of a list of numbers (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
