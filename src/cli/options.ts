/**
 * Parsers for option values shared by several verbs (durations, labels, integers).
 */
import { InvalidArgumentError } from "commander";
import { readDuration } from "../duration.js";

/**
 * A duration flag ("500ms", "5s", "2m", "1h") in milliseconds. A bare number is refused with a
 * hint (`--heartbeat-interval 1` used to mean 1 ms and failed far from the typo); commander
 * prefixes the message with the flag's name.
 */
export function parseDuration(value: string): number {
  const ms = readDuration(value);
  if (typeof ms === "string") throw new InvalidArgumentError(ms);
  return ms;
}

export function parseInteger(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return Number(value);
}

/** Collects repeatable `--label k=v` into a record. */
export function collectLabel(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`label "${value}" must be key=value`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
