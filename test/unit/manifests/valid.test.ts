import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import {
  formatPath,
  type RolloutAmount,
  resolveAmount,
  TraitKind,
  traitCatalog,
  validateManifest,
} from "../../../src/manifests/index.js";
import { component, DELETE, type Edit, edited, trait, validApp } from "./builders.js";
import { testCatalog } from "./catalog.js";

function valid(edits: Edit[]) {
  const result = validateManifest(edited(validApp(), edits), testCatalog);
  if (!result.ok) assert.fail(JSON.stringify(result.details));
  return result.manifest;
}

describe("validateManifest accepts", () => {
  const cases: { name: string; edits: Edit[] }[] = [
    { name: "the base app", edits: [] },
    { name: "the OAM apiVersion", edits: [[["apiVersion"], "core.oam.dev/v1beta1"]] },
    { name: "no annotations", edits: [[["metadata", "annotations"], DELETE]] },
    { name: "other annotations and labels", edits: [[["metadata", "labels"], { team: "a" }]] },
    { name: "a one-letter name", edits: [[["metadata", "name"], "a"]] },
    { name: "a 63-character name", edits: [[["metadata", "name"], `a${"-b".repeat(31)}`]] },
    { name: "a component without traits (runs nowhere)", edits: [[component(0, "traits"), DELETE]] },
    { name: "a component with an empty trait list", edits: [[component(0, "traits"), []]] },
    { name: "a numeric port", edits: [[component(0, "properties", "port"), 8080]] },
    {
      name: "tcp readiness with a port",
      edits: [[component(0, "properties", "readiness"), { type: "tcp", minReadySeconds: 2.5 }]],
    },
    { name: "cwd", edits: [[component(0, "properties", "cwd"), "/srv/app"]] },
    {
      name: "links (also to itself, for peers) and dependsOn",
      edits: [
        [
          component(0, "properties", "links"),
          [
            { component: "worker", env: "WORKER_URL" },
            { component: "web", env: "PEERS" },
          ],
        ],
        [component(0, "dependsOn"), ["worker"]],
      ],
    },
    {
      name: "http readiness and liveness on the instance's port",
      edits: [
        [component(0, "properties", "readiness"), { type: "http", path: "/ready", intervalSeconds: 0.5 }],
        [component(0, "properties", "liveness"), { type: "http", path: "/healthz", failureThreshold: 5 }],
      ],
    },
    {
      name: "http probes on a port of their own (no component port)",
      edits: [
        [component(1, "properties", "readiness"), { type: "http", path: "/", port: 9000, expectStatus: 204 }],
        [component(1, "properties", "liveness"), { type: "http", path: "/l", port: 9001, timeoutSeconds: 2 }],
      ],
    },
    {
      name: "a scaler and a rollout",
      edits: [[trait(0, 1), { type: "rollout", properties: { maxSurge: "25%" } }]],
    },
    { name: "a daemonscaler without properties", edits: [[trait(0, 0), { type: "daemonscaler" }]] },
    { name: "zero instances", edits: [[trait(0, 0, "properties", "instances"), 0]] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      valid(c.edits);
    });
  }
});

describe("validateManifest fills in defaults", () => {
  it("readiness and traits", () => {
    const manifest = valid([[component(0, "traits"), DELETE]]);
    const web = manifest.spec.components[0]!;
    assert.deepEqual(web.properties.readiness, { type: "alive", minReadySeconds: 0 });
    assert.deepEqual(web.traits, []);
  });

  it("trait properties, from the catalog's schema", () => {
    const manifest = valid([[trait(1, 0, "properties", "spread", 0, "weight"), DELETE]]);
    const spread = manifest.spec.components[1]!.traits[0]!.properties.spread as { weight: number }[];
    assert.equal(spread[0]!.weight, 1);
  });

  it("rollout", () => {
    const manifest = valid([[trait(0, 1), { type: "rollout" }]]);
    assert.deepEqual(manifest.spec.components[0]!.traits[1], {
      type: "rollout",
      properties: {
        maxSurge: "25%",
        maxUnavailable: "25%",
        minReadySeconds: 0,
        progressDeadlineSeconds: 600,
        autoRevert: false,
      },
    });
  });
});

describe("formatPath", () => {
  const cases: { path: PropertyKey[]; expected: string }[] = [
    { path: [], expected: "" },
    { path: ["apiVersion"], expected: "apiVersion" },
    {
      path: ["spec", "components", 1, "traits", 0, "properties", "spread", 0, "weight"],
      expected: "spec.components[1].traits[0].properties.spread[0].weight",
    },
    {
      path: ["metadata", "annotations", "nadm.dev/owner"],
      expected: 'metadata.annotations["nadm.dev/owner"]',
    },
    { path: ["env", "MY-VAR"], expected: "env.MY-VAR" },
  ];
  for (const c of cases) it(JSON.stringify(c.path), () => assert.equal(formatPath(c.path), c.expected));
});

describe("resolveAmount", () => {
  const cases: { amount: RolloutAmount; total: number; round: "up" | "down"; expected: number }[] = [
    { amount: 2, total: 10, round: "up", expected: 2 },
    { amount: "25%", total: 10, round: "up", expected: 3 },
    { amount: "25%", total: 10, round: "down", expected: 2 },
    { amount: "100%", total: 3, round: "down", expected: 3 },
    { amount: "0%", total: 7, round: "up", expected: 0 },
  ];
  for (const c of cases) {
    it(`${c.amount} of ${c.total} rounded ${c.round}`, () =>
      assert.equal(resolveAmount(c.amount, c.total, c.round), c.expected));
  }
});

describe("traitCatalog", () => {
  const def = { kind: TraitKind.Scaler, properties: z.object({}) };

  it("lists types sorted", () => {
    assert.deepEqual(testCatalog.types(), ["daemonscaler", "rollout", "spreadscaler"]);
    assert.equal(testCatalog.get("rollout")?.kind, "policy");
    assert.equal(testCatalog.get("nope"), undefined);
  });

  it("refuses a type defined twice", () => {
    assert.throws(
      () =>
        traitCatalog([
          ["x", def],
          ["x", def],
        ]),
      /defined twice/,
    );
  });

  it("validates custom trait types it is given", () => {
    const custom = traitCatalog([
      ["tiny", { kind: TraitKind.Scaler, properties: z.strictObject({ n: z.int() }) }],
    ]);
    const doc = edited(validApp(), [
      [trait(0, 0), { type: "tiny", properties: { n: "x" } }],
      [trait(1, 0), { type: "spreadscaler", properties: { instances: 1 } }],
    ]);
    const result = validateManifest(doc, custom);
    assert.equal(result.ok, false);
    const details = result.ok ? [] : [...result.details].sort((a, b) => a.path.localeCompare(b.path));
    assert.deepEqual(details, [
      { path: "spec.components[0].traits[0].properties.n", message: "expected a number, got string" },
      {
        path: "spec.components[1].traits[0].type",
        message: 'unknown trait type "spreadscaler"; known: tiny',
      },
    ]);
  });
});
