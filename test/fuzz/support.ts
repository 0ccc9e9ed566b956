/**
 * Generators shared by the fuzzers: "a valid value with one field broken", the shape most real
 * bad input has (a typo, a wrong type, a missing field), beside plain random data.
 */
import fc from "fast-check";

/** Every path into a JSON value: ["workload", "spec", "args", 0], … */
export function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

/** `make()` with the value at one random path replaced by random JSON, or deleted. */
export function oneFieldBroken<T extends object>(make: () => T): fc.Arbitrary<T> {
  return fc
    .tuple(fc.nat(), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }))
    .map(([pick, replacement]) => {
      const value = make();
      const all = paths(value).filter((p) => p.length > 0);
      if (all.length === 0) return value; // nothing inside to break
      const path = all[pick % all.length]!;
      let parent = value as Record<string | number, unknown>;
      for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
      const last = path.at(-1)!;
      if (replacement === undefined) delete parent[last];
      else parent[last] = replacement;
      return value;
    });
}

/** Bytes for a message body: broken-valid values as JSON, random JSON, text, binary. */
export function payloads(brokenValid: fc.Arbitrary<object>): fc.Arbitrary<Uint8Array> {
  const enc = (s: string) => new TextEncoder().encode(s);
  return fc.oneof(
    { weight: 4, arbitrary: brokenValid.map((v) => enc(JSON.stringify(v))) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => enc(JSON.stringify(v) ?? "null")) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map(enc) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom("", "{}", "[]", "null", '{"op":"inventory"', "\u0000").map(enc) },
  );
}

/** Runs `fn` over `items`, `width` at a time (real round trips, fewer of them waiting in line). */
export async function inBatches<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}
