/**
 * One definition of the process properties: what `app put` accepts, every host accepts (and
 * what it refuses, hosts refuse too), with the same parsed value.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseProcessProperties } from "../../../src/host/drivers/process-spec.js";
import { UnsupportedWorkloadError } from "../../../src/host/drivers/types.js";
import { validateManifest } from "../../../src/manifests/index.js";
import { component, type Edit, edited, validApp } from "./builders.js";
import { testCatalog } from "./catalog.js";

const props = (value: unknown): Edit => [component(0, "properties"), value];

const accepted: Array<{ name: string; properties: Record<string, unknown> }> = [
  { name: "a bare command", properties: { command: "node" } },
  { name: "args, env, cwd", properties: { command: "node", args: ["a"], env: { A: "1" }, cwd: "/srv" } },
  { name: "tcp readiness", properties: { command: "x", port: "auto", readiness: { type: "tcp" } } },
  {
    name: "fixed port, slow start",
    properties: { command: "x", port: 8080, readiness: { minReadySeconds: 3 } },
  },
];

const refused: Array<{ name: string; properties: Record<string, unknown>; path: string }> = [
  { name: "unknown property", properties: { command: "x", image: "nginx" }, path: "" },
  { name: "NADM_ env", properties: { command: "x", env: { NADM_APP: "y" } }, path: "env.NADM_APP" },
  {
    name: "tcp without port",
    properties: { command: "x", readiness: { type: "tcp" } },
    path: "readiness.type",
  },
  {
    name: "http readiness without a port",
    properties: { command: "x", readiness: { type: "http", path: "/r" } },
    path: "readiness.port",
  },
  { name: "empty command", properties: { command: "" }, path: "command" },
];

function host(properties: unknown) {
  return parseProcessProperties({
    app: "shop",
    component: "web",
    rev: "r1",
    key: "shop.web.r1",
    type: "process",
    spec: properties as Record<string, unknown>,
  });
}

describe("process properties: accepted at put ⇒ accepted by hosts, with the same value", () => {
  for (const c of accepted) {
    it(c.name, () => {
      const result = validateManifest(edited(validApp(), [props(c.properties)]), testCatalog);
      if (!result.ok) assert.fail(JSON.stringify(result.details));
      const stored = result.manifest.spec.components[0]!.properties;
      assert.deepEqual(host(stored), stored);
    });
  }
});

describe("process properties: refused at put ⇒ refused by hosts, at the same field", () => {
  for (const c of refused) {
    it(c.name, () => {
      const result = validateManifest(edited(validApp(), [props(c.properties)]), testCatalog);
      assert.equal(result.ok, false);
      assert.throws(
        () => host(c.properties),
        (err: unknown) =>
          err instanceof UnsupportedWorkloadError &&
          err.path.startsWith(`workload.spec${c.path ? `.${c.path}` : ""}`),
      );
    });
  }
});
