/**
 * A component's revision: the `rev` of its workload key `{app}.{component}.{rev}` (ARCHITECTURE §1).
 * Hosts run instances per revision, so the revision must change exactly when what an instance
 * runs changes: the type and properties, never their key order, and never the traits (scaling
 * or changing the rollout policy must not restart anything).
 */
import { createHash } from "node:crypto";
import type { ComponentSpec } from "./schema.js";

/** 48 bits: collisions between the few revisions one component ever has are negligible. */
const REVISION_HEX_CHARS = 12;

export function componentRevision(component: Pick<ComponentSpec, "type" | "properties">): string {
  const text = `${component.type}\n${canonicalJson(component.properties)}`;
  return createHash("sha256").update(text).digest("hex").slice(0, REVISION_HEX_CHARS);
}

/** JSON with object keys sorted at every depth; array order is kept because it is meaning (args). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
