/**
 * Manifests, valid-shaped and broken (fast-check): `parseManifestText` returns a manifest or
 * throws an InvalidManifestError whose details each name a path, and `validateManifest` never
 * throws at all. Inputs: random text and bytes, random JSON and YAML, and valid manifests with
 * one random field replaced, deleted or retyped (the shape a user's typo has).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { builtinTraitCatalog } from "../../src/catalog.js";
import { InvalidManifestError } from "../../src/errors.js";
import { parseManifestText, validateManifest } from "../../src/manifests/index.js";

const catalog = builtinTraitCatalog();
const RUNS = 2_000;

const valid = (instances: number, extra: Record<string, unknown> = {}) => ({
  apiVersion: "nadm.dev/v1",
  kind: "Application",
  metadata: { name: "fuzz", annotations: { version: "v1" } },
  spec: {
    components: [
      {
        name: "web",
        type: "process",
        properties: { command: "sleep", args: ["60"], port: "auto", readiness: { type: "tcp" }, ...extra },
        traits: [
          {
            type: "spreadscaler",
            properties: { instances, spread: [{ name: "a", requirements: { zone: "a" } }] },
          },
          { type: "rollout", properties: { maxUnavailable: 1 } },
        ],
      },
      {
        name: "db",
        type: "process",
        properties: { command: "true" },
        traits: [{ type: "daemonscaler", properties: {} }],
      },
    ],
  },
});

/** Every path into a JSON value: ["spec", "components", 0, "traits", 1, "type"], … */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

/** A valid manifest with the value at one path replaced (or deleted, with `undefined`). */
const mutated = fc
  .tuple(
    fc.integer({ min: 0, max: 50 }),
    fc.nat(),
    fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
  )
  .map(([instances, pick, replacement]) => {
    const m = valid(instances) as Record<string, unknown>;
    const all = paths(m).filter((p) => p.length > 0);
    const path = all[pick % all.length]!;
    let parent = m as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path.at(-1)!;
    if (replacement === undefined) delete parent[last];
    else parent[last] = replacement;
    return m;
  });

const asText = (value: unknown) =>
  fc
    .constantFrom<"json" | "yaml">("json", "yaml")
    .map((f) => (f === "json" ? JSON.stringify(value) : stringify(value)));

const input: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  mutated.chain(asText),
  fc.jsonValue({ maxDepth: 4 }).chain(asText),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.integer({ min: 0, max: 60 }).map((n) => stringify(valid(n)).slice(0, n * 7)),
  fc.constantFrom("", "---", "--- \n---\n", "{", "[]", "null", "~", "!!binary AAAA", "a: &x [*x]", "<<: 1"),
);

function checkDetails(details: Array<{ path: unknown; message: unknown }>): void {
  assert.ok(details.length > 0, "at least one detail");
  for (const d of details) {
    assert.equal(typeof d.path, "string");
    assert.equal(typeof d.message, "string");
    assert.ok((d.message as string).length > 0);
  }
}

test(`parseManifestText: a manifest or an InvalidManifestError with paths (${RUNS} cases)`, () => {
  fc.assert(
    fc.property(input, (text) => {
      try {
        parseManifestText(text, catalog);
      } catch (err) {
        assert.ok(
          err instanceof InvalidManifestError,
          `unexpected ${(err as Error)?.name}: ${(err as Error)?.message}`,
        );
        assert.equal(err.code, "invalid_manifest");
        checkDetails(err.details);
      }
    }),
    { numRuns: RUNS },
  );
});

test(`validateManifest never throws; every problem has a path (${RUNS} cases)`, () => {
  fc.assert(
    fc.property(fc.oneof(mutated, fc.jsonValue({ maxDepth: 4 }), fc.anything()), (raw) => {
      const result = validateManifest(raw, catalog);
      if (!result.ok) checkDetails(result.details);
    }),
    { numRuns: RUNS },
  );
});

test("the unmutated manifest is valid (so the mutations start from a valid shape)", () => {
  assert.ok(validateManifest(valid(3), catalog).ok);
  assert.doesNotThrow(() => parseManifestText(stringify(valid(3)), catalog));
});
