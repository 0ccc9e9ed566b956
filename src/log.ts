/**
 * Logging is injected (STYLE §10): library code takes a `Logger`; only entry points create one.
 * JSON lines on stderr for machines; one readable line per record (pino-pretty) when stderr is
 * a terminal.
 */
import { pino } from "pino";
import { PinoPretty } from "pino-pretty";

export type Logger = pino.Logger;

export function createLogger(opts: { level?: string; name?: string; pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? process.stderr.isTTY === true;
  const destination = pretty
    ? prettyStream(process.stderr, process.stderr.isTTY === true)
    : pino.destination(2);
  return pino({ name: opts.name ?? "nadm", level: opts.level ?? "info" }, destination);
}

/** `[12:00:01.234] INFO (nadm-host): host started` and the record's fields below it. */
export function prettyStream(destination: NodeJS.WritableStream, colorize = false) {
  return PinoPretty({
    destination,
    sync: true,
    colorize,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname",
  });
}

/** A logger that drops everything (tests, library defaults). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
