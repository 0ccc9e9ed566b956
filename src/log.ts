/**
 * Logging is injected (STYLE §10): library code takes a `Logger`; only entry points create one.
 * JSON lines on stderr for machines; one readable line per record when stderr is a terminal.
 */
import { pino } from "pino";

export type Logger = pino.Logger;

export function createLogger(opts: { level?: string; name?: string; pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? process.stderr.isTTY === true;
  const destination = pretty
    ? { write: (line: string) => process.stderr.write(prettyLine(line)) }
    : pino.destination(2);
  return pino({ name: opts.name ?? "nadm", level: opts.level ?? "info" }, destination);
}

/** A logger that drops everything (tests, library defaults). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};
const OMITTED = new Set(["level", "time", "pid", "hostname", "name", "msg", "v"]);

/** `12:00:01.234 INFO  nadm-host: host started hostId=h1 lattice=default` from a pino JSON line. */
export function prettyLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof rec.time === "number" ? new Date(rec.time).toISOString().slice(11, 23) : "";
  const level = (LEVEL_NAMES[Number(rec.level)] ?? String(rec.level)).padEnd(5);
  const fields = Object.entries(rec)
    .filter(([k]) => !OMITTED.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  const head = `${time} ${level} ${rec.name ?? "nadm"}: ${rec.msg ?? ""}`;
  return `${[head, ...fields].join(" ")}\n`;
}
