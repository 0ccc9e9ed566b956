import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import {
  assertScaler,
  builtinScalers,
  defineScaler,
  normalizePlacements,
  normalizeResult,
  type Scaler,
  ScalerError,
  ScalerRegistry,
  traitCatalogEntries,
} from "../../../src/scalers/index.js";

function fakeScaler(type: string): Scaler<{ n: number }> {
  return defineScaler({
    type,
    version: "1.0.0",
    properties: z.strictObject({ n: z.number() }),
    reconcile: () => ({ placements: [], status: { phase: "ok", message: "" } }),
  });
}

describe("ScalerRegistry", () => {
  test("holds the built-ins by default", () => {
    const registry = new ScalerRegistry();
    assert.deepEqual(registry.types(), ["daemonscaler", "spreadscaler"]);
    assert.equal(
      registry.get("spreadscaler"),
      builtinScalers.find((s) => s.type === "spreadscaler"),
    );
    assert.equal(registry.get("nope"), undefined);
  });

  test("types are sorted whatever the registration order", () => {
    const registry = new ScalerRegistry([fakeScaler("zeta"), fakeScaler("alpha")]);
    registry.register(fakeScaler("mid"));
    assert.deepEqual(registry.types(), ["alpha", "mid", "zeta"]);
  });

  const duplicates = [
    { name: "in the constructor", make: () => new ScalerRegistry([fakeScaler("x"), fakeScaler("x")]) },
    {
      name: "a custom scaler shadowing a built-in",
      make: () => new ScalerRegistry().register(fakeScaler("spreadscaler")),
    },
  ];
  for (const { name, make } of duplicates) {
    test(`duplicate type ${name} throws`, () =>
      assert.throws(make, (err) => err instanceof ScalerError && /already registered/.test(err.message)));
  }

  test("trait catalog entries carry each scaler's schema, sorted", () => {
    const custom = fakeScaler("custom");
    const entries = traitCatalogEntries(new ScalerRegistry([...builtinScalers, custom]));
    assert.deepEqual(
      entries.map(([type, entry]) => [type, entry.kind]),
      [
        ["custom", "scaler"],
        ["daemonscaler", "scaler"],
        ["spreadscaler", "scaler"],
      ],
    );
    assert.equal(entries[0]?.[1].properties, custom.properties);
  });
});

describe("normalizePlacements", () => {
  const ok: Array<{ name: string; input: unknown; want: Array<[string, number]> }> = [
    {
      name: "array, sorted by hostId",
      input: [
        { hostId: "b", count: 1 },
        { hostId: "a", count: 2 },
      ],
      want: [
        ["a", 2],
        ["b", 1],
      ],
    },
    {
      name: "Map form",
      input: new Map([
        ["b", 3],
        ["a", 1],
      ]),
      want: [
        ["a", 1],
        ["b", 3],
      ],
    },
    {
      name: "zero counts dropped",
      input: [
        { hostId: "a", count: 0 },
        { hostId: "b", count: 1 },
      ],
      want: [["b", 1]],
    },
    { name: "empty", input: [], want: [] },
  ];
  for (const row of ok) {
    test(row.name, () => {
      const result = normalizePlacements(row.input as never, "custom");
      assert.deepEqual([...result], row.want);
    });
  }

  const bad: Array<{ name: string; input: unknown; match: RegExp }> = [
    { name: "negative count", input: [{ hostId: "a", count: -1 }], match: /host "a" has invalid count -1/ },
    { name: "fractional count", input: new Map([["a", 1.5]]), match: /invalid count 1.5/ },
    { name: "NaN count", input: [{ hostId: "a", count: Number.NaN }], match: /invalid count NaN/ },
    { name: "string count", input: [{ hostId: "a", count: "2" }], match: /invalid count 2/ },
    {
      name: "duplicate hostId",
      input: [
        { hostId: "a", count: 1 },
        { hostId: "a", count: 0 },
      ],
      match: /host "a" is placed more than once/,
    },
    { name: "missing hostId", input: [{ count: 1 }], match: /no hostId/ },
    { name: "not a list", input: { a: 1 }, match: /must be an array/ },
  ];
  for (const row of bad) {
    test(`rejects ${row.name}`, () =>
      assert.throws(
        () => normalizePlacements(row.input as never, "custom"),
        (err) =>
          err instanceof ScalerError &&
          err.scalerType === "custom" &&
          err.message.startsWith('scaler "custom": ') &&
          row.match.test(err.message),
      ));
  }
});

describe("untrusted scaler output and modules", () => {
  const results: Array<{ name: string; result: unknown; valid: boolean }> = [
    {
      name: "valid",
      result: { placements: [{ hostId: "a", count: 1 }], status: { phase: "waiting", message: "m" } },
      valid: true,
    },
    {
      name: "unknown phase",
      result: { placements: [], status: { phase: "deployed", message: "m" } },
      valid: false,
    },
    { name: "missing status", result: { placements: [] }, valid: false },
    { name: "not an object", result: undefined, valid: false },
  ];
  for (const row of results) {
    test(`normalizeResult: ${row.name}`, () => {
      const attempt = () => normalizeResult(row.result, "custom");
      if (row.valid) assert.deepEqual(attempt().status, { phase: "waiting", message: "m" });
      else assert.throws(attempt, ScalerError);
    });
  }

  const modules: Array<{ name: string; value: unknown; match?: RegExp }> = [
    { name: "a defineScaler result", value: fakeScaler("ok") },
    { name: "null", value: null, match: /scaler "\.\/x\.js": .*not an object/ },
    { name: "empty type", value: { ...fakeScaler(""), type: "" }, match: /non-empty string/ },
    {
      name: "properties not zod",
      value: { ...fakeScaler("t"), properties: {} },
      match: /scaler "t": `properties`/,
    },
    { name: "no reconcile", value: { type: "t", properties: z.object({}) }, match: /`reconcile`/ },
    { name: "no version", value: { ...fakeScaler("t"), version: undefined }, match: /`version`/ },
  ];
  for (const row of modules) {
    test(`assertScaler: ${row.name}`, () => {
      if (row.match === undefined) assert.equal(assertScaler(row.value, "./x.js"), row.value);
      else assert.throws(() => assertScaler(row.value, "./x.js"), row.match);
    });
  }
});
