/**
 * CLI output: aligned tables for humans, one JSON document with --json, and the exit codes of
 * ARCHITECTURE §10 (0 ok, 1 error reply, 2 usage).
 */
import type { ErrorBody } from "../errors.js";

export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printError(error: ErrorBody, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
    return;
  }
  const lines = [`error (${error.code}): ${error.message}`];
  for (const d of error.details ?? []) lines.push(`  ${d.path || "(root)"}: ${d.message}`);
  process.stderr.write(`${lines.join("\n")}\n`);
}

/** "3m ago"-style age of an ISO timestamp. */
export function age(iso: string, now = Date.now()): string {
  const ms = Math.max(0, now - Date.parse(iso));
  if (!Number.isFinite(ms)) return "-";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
