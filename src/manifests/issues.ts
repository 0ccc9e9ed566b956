/**
 * Turns zod issues into the `{path, message}` details of an `invalid_manifest` reply
 * (ARCHITECTURE §9). Users read these messages in a terminal, so they say what was expected
 * in plain words instead of zod's defaults ("Invalid input: expected string, received undefined").
 */
import type { z } from "zod";
import type { ErrorDetail } from "../errors.js";

type RawIssue = z.core.$ZodRawIssue;

/** Keys that read well after a dot; anything else is quoted in brackets (`env["MY VAR"]`). */
const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `["spec", "components", 1, "name"]` → `spec.components[1].name`; the root is `""`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (typeof part === "string" && PLAIN_KEY.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "a boolean",
  object: "an object",
  record: "an object",
  array: "an array",
};

/** What the user wrote, in one or two words: "string", "null", "array", "1.5". */
function describeInput(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "array";
  if (typeof input === "number" && !Number.isInteger(input)) return String(input);
  return typeof input;
}

function sizeMessage(origin: string, bound: number | bigint, atLeast: boolean, inclusive: boolean): string {
  if (origin === "array") return `must have ${atLeast ? "at least" : "at most"} ${bound} item(s)`;
  if (origin === "string") {
    if (atLeast && bound === 1) return "must not be empty";
    return `must be ${atLeast ? "at least" : "at most"} ${bound} characters long`;
  }
  const op = atLeast ? (inclusive ? "≥" : ">") : inclusive ? "≤" : "<";
  return `must be ${op} ${bound}`;
}

/**
 * The error map handed to every parse of manifest input. Schemas that set their own message
 * (names, ports, unknown types) keep it: zod consults a schema's `error` before this map.
 */
export function humanError(issue: RawIssue): string | undefined {
  const missing =
    issue.input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value");
  if (missing) return "is required";
  switch (issue.code) {
    case "invalid_type":
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeInput(issue.input)}`;
    case "invalid_value":
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}, got ${JSON.stringify(issue.input)}`;
    case "too_small":
      return sizeMessage(issue.origin, issue.minimum, true, issue.inclusive !== false);
    case "too_big":
      return sizeMessage(issue.origin, issue.maximum, false, issue.inclusive !== false);
    case "unrecognized_keys":
      return unknownKeyMessage(issue.inst);
    case "invalid_key":
      return issue.issues[0]?.message ?? "invalid key";
    case "invalid_format":
      return issue.pattern ? `must match ${issue.pattern}` : `must be a valid ${issue.format}`;
    default:
      return undefined;
  }
}

/** Lists the keys a strict object does accept, so a typo is easy to spot. */
function unknownKeyMessage(inst: unknown): string {
  const shape = (inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def
    ?.shape;
  const known = shape ? Object.keys(shape) : [];
  return known.length > 0 ? `unknown property; expected one of: ${known.join(", ")}` : "unknown property";
}

/**
 * One detail per problem. zod reports all unknown keys of an object in one issue; they are split
 * so that each unknown key is reported at its own path, like every other problem.
 */
export function toDetails(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        details.push({ path: formatPath([...path, key]), message: issue.message });
    } else {
      details.push({ path: formatPath(path), message: issue.message });
    }
  }
  return details;
}
