/**
 * Request bodies: UTF-8, then JSON, then the op's schema. Every problem is reported in nadm's
 * own words with its path (the same wording as manifest validation), never as the validation
 * library's text.
 */
import type { z } from "zod";
import { BadRequestError } from "../errors.js";
import { humanError, toDetails } from "../manifests/issues.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

export function text(body: Uint8Array): string {
  try {
    return decoder.decode(body);
  } catch {
    throw new BadRequestError("request body is not valid UTF-8", [{ path: "", message: "not valid UTF-8" }]);
  }
}

/** Parses a JSON request body against a schema; an empty body is `{}`. */
export function parseRequest<S extends z.ZodType>(schema: S, body: Uint8Array): z.output<S> {
  const raw = text(body).trim();
  let value: unknown = {};
  if (raw !== "") {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new BadRequestError("request body is not JSON", [
        { path: "", message: "expected a JSON object" },
      ]);
    }
  }
  const parsed = schema.safeParse(value, { error: humanError });
  if (!parsed.success) {
    const details = toDetails(parsed.error.issues);
    throw new BadRequestError(
      `invalid request: ${details.map((d) => `${d.path || "body"}: ${d.message}`).join("; ")}`,
      details,
    );
  }
  return parsed.data;
}
