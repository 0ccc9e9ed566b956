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
import { oneFieldBroken } from "./support.js";

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

/** A valid manifest with the value at one path replaced (or deleted). */
const mutated = fc.integer({ min: 0, max: 50 }).chain((instances) => oneFieldBroken(() => valid(instances)));

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
