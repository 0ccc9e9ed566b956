/**
 * Logging is injected (STYLE §10): library code takes a `Logger`; only entry points create one.
 */
import { pino } from "pino";

export type Logger = pino.Logger;

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({ name: opts.name ?? "nadm", level: opts.level ?? "info" }, pino.destination(2));
}

/** A logger that drops everything (tests, library defaults). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
