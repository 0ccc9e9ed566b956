import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateManifest } from "../../../src/manifests/index.js";
import { component, DELETE, type Edit, edited, trait, validApp } from "./builders.js";
import { testCatalog } from "./catalog.js";

interface Case {
  name: string;
  edits: Edit[];
  /** Every error path, in any order (the same path twice means two problems there). */
  paths: string[];
  /** A fragment of the message at `paths[0]`. */
  message?: string;
}

const spread = (weight: unknown) => ({ instances: 1, spread: [{ name: "east", weight }] });

const cases: Case[] = [
  {
    name: "missing apiVersion",
    edits: [[["apiVersion"], DELETE]],
    paths: ["apiVersion"],
    message: "is required",
  },
  { name: "missing kind", edits: [[["kind"], DELETE]], paths: ["kind"], message: "is required" },
  { name: "missing metadata", edits: [[["metadata"], DELETE]], paths: ["metadata"], message: "is required" },
  { name: "missing spec", edits: [[["spec"], DELETE]], paths: ["spec"], message: "is required" },
  {
    name: "wrong apiVersion",
    edits: [[["apiVersion"], "apps/v1"]],
    paths: ["apiVersion"],
    message: "nadm.dev/v1",
  },
  { name: "wrong kind", edits: [[["kind"], "Deployment"]], paths: ["kind"], message: '"Application"' },
  {
    name: "missing name",
    edits: [[["metadata", "name"], DELETE]],
    paths: ["metadata.name"],
    message: "is required",
  },
  {
    name: "name with a dot",
    edits: [[["metadata", "name"], "a.b"]],
    paths: ["metadata.name"],
    message: "lowercase",
  },
  { name: "name with *", edits: [[["metadata", "name"], "a*"]], paths: ["metadata.name"] },
  { name: "name with >", edits: [[["metadata", "name"], "a>b"]], paths: ["metadata.name"] },
  { name: "name with a space", edits: [[["metadata", "name"], "has space"]], paths: ["metadata.name"] },
  { name: "uppercase name", edits: [[["metadata", "name"], "Shop"]], paths: ["metadata.name"] },
  {
    name: "64-character name",
    edits: [[["metadata", "name"], "a".repeat(64)]],
    paths: ["metadata.name"],
    message: "at most 63",
  },
  { name: "leading '-'", edits: [[["metadata", "name"], "-shop"]], paths: ["metadata.name"] },
  { name: "trailing '-'", edits: [[["metadata", "name"], "shop-"]], paths: ["metadata.name"] },
  {
    name: "name not a string",
    edits: [[["metadata", "name"], 7]],
    paths: ["metadata.name"],
    message: "got number",
  },
  {
    name: "version with whitespace",
    edits: [[["metadata", "annotations", "version"], "v 1"]],
    paths: ["metadata.annotations.version"],
    message: "whitespace",
  },
  {
    name: "version too long",
    edits: [[["metadata", "annotations", "version"], "v".repeat(129)]],
    paths: ["metadata.annotations.version"],
  },
  {
    name: "annotation that is not a string",
    edits: [[["metadata", "annotations", "owner"], 3]],
    paths: ["metadata.annotations.owner"],
  },
  {
    name: "unknown top-level key",
    edits: [[["status"], {}]],
    paths: ["status"],
    message: "unknown property",
  },
  {
    name: "zero components",
    edits: [[component(0).slice(0, 2), []]],
    paths: ["spec.components"],
    message: "at least 1",
  },
  {
    name: "components not a list",
    edits: [[["spec", "components"], "web"]],
    paths: ["spec.components"],
    message: "expected an array, got string",
  },
  {
    name: "bad component name",
    edits: [[component(1, "name"), "a.b"]],
    paths: ["spec.components[1].name"],
  },
  {
    name: "duplicate component names",
    edits: [[component(1, "name"), "web"]],
    paths: ["spec.components[1].name"],
    message: 'duplicate component name "web"',
  },
  {
    name: "unknown component type",
    edits: [[component(0, "type"), "container"]],
    paths: ["spec.components[0].type"],
    message: 'unknown component type "container"; known: process',
  },
  {
    // Found by the API fuzzer: String() of such an object throws instead of naming the field.
    name: "component type an object whose toString is not a function",
    edits: [[component(0, "type"), { toString: [true, 1] }]],
    paths: ["spec.components[0].type"],
    message: 'unknown component type {"toString":[true,1]}; known: process',
  },
  {
    name: "missing command",
    edits: [[component(0, "properties", "command"), DELETE]],
    paths: ["spec.components[0].properties.command"],
    message: "is required",
  },
  {
    name: "empty command",
    edits: [[component(0, "properties", "command"), ""]],
    paths: ["spec.components[0].properties.command"],
    message: "must not be empty",
  },
  {
    name: "args not strings",
    edits: [[component(0, "properties", "args"), ["a", 2]]],
    paths: ["spec.components[0].properties.args[1]"],
    message: "expected a string, got number",
  },
  {
    name: "unknown process property",
    edits: [[component(0, "properties", "image"), "nginx"]],
    paths: ["spec.components[0].properties.image"],
    message: "unknown property; expected one of: command",
  },
  {
    name: "env key that is not a variable name",
    edits: [[component(1, "properties", "env"), { "MY VAR": "x" }]],
    paths: ['spec.components[1].properties.env["MY VAR"]'],
    message: "environment variable name",
  },
  {
    name: "env value that is a number",
    edits: [[component(1, "properties", "env"), { PORT: 8080 }]],
    paths: ["spec.components[1].properties.env.PORT"],
    message: "expected a string, got number",
  },
  {
    name: "reserved NADM_ env variable",
    edits: [[component(1, "properties", "env"), { NADM_APP: "x" }]],
    paths: ["spec.components[1].properties.env.NADM_APP"],
    message: "reserved",
  },
  {
    name: "port 0",
    edits: [[component(0, "properties", "port"), 0]],
    paths: ["spec.components[0].properties.port"],
    message: "≥ 1",
  },
  {
    name: "port too big",
    edits: [[component(0, "properties", "port"), 70000]],
    paths: ["spec.components[0].properties.port"],
  },
  {
    name: "port neither auto nor a number",
    edits: [[component(0, "properties", "port"), "random"]],
    paths: ["spec.components[0].properties.port"],
    message: 'must be "auto" or an integer port',
  },
  {
    name: "tcp readiness without a port",
    edits: [[component(1, "properties", "readiness"), { type: "tcp" }]],
    paths: ["spec.components[1].properties.readiness.type"],
    message: "tcp readiness requires a port",
  },
  {
    name: "unknown readiness type",
    edits: [[component(0, "properties", "readiness"), { type: "grpc" }]],
    paths: ["spec.components[0].properties.readiness.type"],
    message: '"alive" or "tcp" or "http"',
  },
  {
    name: "http readiness without a path",
    edits: [[component(0, "properties", "readiness"), { type: "http" }]],
    paths: ["spec.components[0].properties.readiness.path"],
    message: "http readiness requires a path",
  },
  {
    name: "http readiness without any port",
    edits: [[component(1, "properties", "readiness"), { type: "http", path: "/ready" }]],
    paths: ["spec.components[1].properties.readiness.port"],
    message: "requires a port",
  },
  {
    name: "probe fields on a tcp readiness",
    edits: [[component(0, "properties", "readiness"), { type: "tcp", path: "/x", failureThreshold: 2 }]],
    paths: [
      "spec.components[0].properties.readiness.path",
      "spec.components[0].properties.readiness.failureThreshold",
    ],
    message: "only for http readiness",
  },
  {
    name: "a probe path without a leading slash, a zero threshold",
    edits: [[component(0, "properties", "liveness"), { type: "http", path: "healthz", failureThreshold: 0 }]],
    paths: [
      "spec.components[0].properties.liveness.path",
      "spec.components[0].properties.liveness.failureThreshold",
    ],
    message: 'must start with "/"',
  },
  {
    name: "liveness of an unknown type, without a path",
    edits: [[component(0, "properties", "liveness"), { type: "exec" }]],
    paths: ["spec.components[0].properties.liveness.type", "spec.components[0].properties.liveness.path"],
  },
  {
    name: "a link to a component the app does not have",
    edits: [[component(0, "properties", "links"), [{ component: "db", env: "DB_URL" }]]],
    paths: ["spec.components[0].properties.links[0].component"],
    message: 'unknown component "db"; this app has: web, worker',
  },
  {
    name: "dependsOn a component the app does not have, and itself",
    edits: [[component(0, "dependsOn"), ["db", "web"]]],
    paths: ["spec.components[0].dependsOn[0]", "spec.components[0].dependsOn[1]"],
    message: 'unknown component "db"',
  },
  {
    name: "a dependency cycle",
    edits: [
      [component(0, "dependsOn"), ["worker"]],
      [component(1, "dependsOn"), ["web"]],
    ],
    paths: ["spec.components[1].dependsOn[0]"],
    message: "dependency cycle: web → worker → web",
  },
  {
    name: "a link variable also set in env, and one set by two links",
    edits: [
      [
        component(1, "properties", "links"),
        [
          { component: "web", env: "LOG_LEVEL" },
          { component: "web", env: "WEB" },
          { component: "worker", env: "WEB" },
        ],
      ],
    ],
    paths: ["spec.components[1].properties.links[0].env", "spec.components[1].properties.links[2].env"],
    message: '"LOG_LEVEL" is also set in env',
  },
  {
    name: "a link variable the host reserves",
    edits: [[component(0, "properties", "links"), [{ component: "worker", env: "NADM_WORKER" }]]],
    paths: ["spec.components[0].properties.links[0].env"],
    message: "reserved",
  },
  {
    name: "http liveness without any port",
    edits: [[component(1, "properties", "liveness"), { type: "http", path: "/healthz" }]],
    paths: ["spec.components[1].properties.liveness.port"],
    message: "requires a port",
  },
  {
    name: "negative minReadySeconds",
    edits: [[component(0, "properties", "readiness"), { minReadySeconds: -1 }]],
    paths: ["spec.components[0].properties.readiness.minReadySeconds"],
  },
  {
    name: "instances that is a word",
    edits: [[trait(0, 0, "properties", "instances"), "three"]],
    paths: ["spec.components[0].traits[0].properties.instances"],
    message: "expected a number, got string",
  },
  {
    name: "negative instances",
    edits: [[trait(0, 0, "properties", "instances"), -1]],
    paths: ["spec.components[0].traits[0].properties.instances"],
    message: "≥ 0",
  },
  {
    name: "fractional instances",
    edits: [[trait(0, 0, "properties", "instances"), 1.5]],
    paths: ["spec.components[0].traits[0].properties.instances"],
    message: "integer",
  },
  {
    name: "missing instances",
    edits: [[trait(0, 0, "properties"), DELETE]],
    paths: ["spec.components[0].traits[0].properties.instances"],
    message: "is required",
  },
  {
    name: "unknown trait type",
    edits: [[trait(0, 0, "type"), "autoscaler"]],
    paths: ["spec.components[0].traits[0].type"],
    message: 'unknown trait type "autoscaler"; known: daemonscaler, rollout, spreadscaler',
  },
  {
    name: "trait without a type",
    edits: [[trait(0, 0, "type"), DELETE]],
    paths: ["spec.components[0].traits[0].type"],
  },
  {
    name: "trait properties not an object",
    edits: [[trait(0, 0, "properties"), [1]]],
    paths: ["spec.components[0].traits[0].properties"],
    message: "expected an object, got array",
  },
  {
    name: "unknown trait property",
    edits: [[trait(0, 0, "properties", "replicas"), 3]],
    paths: ["spec.components[0].traits[0].properties.replicas"],
    message: "unknown property",
  },
  {
    name: "two scaler traits",
    edits: [[trait(0, 1), { type: "daemonscaler", properties: {} }]],
    paths: ["spec.components[0].traits[1]"],
    message: "at most one scaler",
  },
  {
    name: "bad spread weight",
    edits: [[trait(1, 0, "properties"), spread(-2)]],
    paths: ["spec.components[1].traits[0].properties.spread[0].weight"],
    message: "≥ 0",
  },
  {
    name: "two rollout traits",
    edits: [
      [trait(0, 1), { type: "rollout", properties: {} }],
      [trait(0, 2), { type: "rollout", properties: {} }],
    ],
    paths: ["spec.components[0].traits[2]"],
    message: '"rollout" is given twice',
  },
  {
    name: "rollout percent above 100",
    edits: [[trait(0, 1), { type: "rollout", properties: { maxSurge: "150%" } }]],
    paths: ["spec.components[0].traits[1].properties.maxSurge"],
    message: "percentage",
  },
  {
    name: "rollout that can never progress",
    edits: [[trait(0, 1), { type: "rollout", properties: { maxSurge: 0, maxUnavailable: "0%" } }]],
    paths: ["spec.components[0].traits[1].properties.maxUnavailable"],
    message: "cannot both be 0",
  },
  {
    name: "rollout with a non-positive deadline",
    edits: [[trait(0, 1), { type: "rollout", properties: { progressDeadlineSeconds: 0 } }]],
    paths: ["spec.components[0].traits[1].properties.progressDeadlineSeconds"],
    message: "> 0",
  },
  {
    name: "several problems at once",
    edits: [
      [["metadata", "name"], "Bad.Name"],
      [component(0, "properties", "command"), DELETE],
      [trait(0, 0, "type"), "autoscaler"],
      [component(1, "name"), "web"],
      [trait(1, 0, "properties"), spread("heavy")],
      [trait(1, 1), { type: "daemonscaler" }],
    ],
    paths: [
      "metadata.name",
      "spec.components[0].properties.command",
      "spec.components[0].traits[0].type",
      "spec.components[1].name",
      "spec.components[1].traits[0].properties.spread[0].weight",
      "spec.components[1].traits[1]",
    ],
  },
];

describe("validateManifest rejects", () => {
  it("has a large table", () => assert.ok(cases.length >= 30));

  for (const c of cases) {
    it(c.name, () => {
      const result = validateManifest(edited(validApp(), c.edits), testCatalog);
      assert.equal(result.ok, false, "expected the manifest to be invalid");
      if (result.ok) return;
      const paths = result.details.map((d) => d.path);
      assert.deepEqual([...paths].sort(), [...c.paths].sort(), JSON.stringify(result.details));
      if (c.message) {
        const at = result.details.find((d) => d.path === c.paths[0]);
        assert.ok(at?.message.includes(c.message), `"${at?.message}" should include "${c.message}"`);
      }
    });
  }

  it("a document that is not an object, at the root", () => {
    const result = validateManifest("hello", testCatalog);
    assert.deepEqual(result, {
      ok: false,
      details: [{ path: "", message: "expected an object, got string" }],
    });
  });
});
