/**
 * Durations as people write them ("500ms", "5s", "2m", "1h"), for flags and config files alike.
 * A bare number is refused: whether `1` meant seconds or milliseconds is a guess nadm won't make.
 */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or a message saying what is wrong (with a hint for a bare number). */
export function readDuration(value: string | number): number | string {
  const text = String(value).trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return `"${text}" has no unit: write e.g. ${text}s or ${text}ms`;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) return `"${text}" is not a duration (e.g. 500ms, 5s, 2m, 1h)`;
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? "ms"] ?? 1));
}
