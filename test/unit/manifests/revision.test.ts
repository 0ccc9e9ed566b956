import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ComponentSpec, canonicalJson, componentRevision } from "../../../src/manifests/index.js";

function web(properties: Record<string, unknown>, traits: ComponentSpec["traits"] = []): ComponentSpec {
  return { name: "web", type: "process", properties: properties as ComponentSpec["properties"], traits };
}

const base = web({
  command: "node",
  args: ["server.js", "--verbose"],
  env: { A: "1", B: "2" },
  port: "auto",
  readiness: { type: "tcp", minReadySeconds: 0 },
});

describe("componentRevision", () => {
  it("is 12 hex characters", () => assert.match(componentRevision(base), /^[0-9a-f]{12}$/));

  const same: { name: string; other: ComponentSpec }[] = [
    {
      name: "keys in another order, at every depth",
      other: web({
        readiness: { minReadySeconds: 0, type: "tcp" },
        port: "auto",
        env: { B: "2", A: "1" },
        args: ["server.js", "--verbose"],
        command: "node",
      }),
    },
    {
      name: "other traits",
      other: { ...base, traits: [{ type: "spreadscaler", properties: { instances: 9 } }] },
    },
    { name: "another component name", other: { ...base, name: "api" } },
    { name: "an undefined property", other: web({ ...base.properties, cwd: undefined }) },
  ];
  for (const c of same) {
    it(`is the same with ${c.name}`, () => assert.equal(componentRevision(c.other), componentRevision(base)));
  }

  const different: { name: string; other: ComponentSpec }[] = [
    { name: "another command", other: web({ ...base.properties, command: "deno" }) },
    { name: "args in another order", other: web({ ...base.properties, args: ["--verbose", "server.js"] }) },
    { name: "an env value", other: web({ ...base.properties, env: { A: "1", B: "3" } }) },
    { name: "an added env variable", other: web({ ...base.properties, env: { A: "1", B: "2", C: "" } }) },
    { name: "a port", other: web({ ...base.properties, port: 8080 }) },
    { name: "readiness", other: web({ ...base.properties, readiness: { type: "tcp", minReadySeconds: 1 } }) },
    { name: "a cwd", other: web({ ...base.properties, cwd: "/srv" }) },
    { name: "a number as a string", other: web({ ...base.properties, port: "8080" }) },
  ];
  for (const c of different) {
    it(`changes with ${c.name}`, () => assert.notEqual(componentRevision(c.other), componentRevision(base)));
  }
});

describe("canonicalJson", () => {
  const cases: { value: unknown; expected: string }[] = [
    { value: { b: 1, a: [3, { d: null, c: "x" }] }, expected: '{"a":[3,{"c":"x","d":null}],"b":1}' },
    { value: { a: undefined, b: true }, expected: '{"b":true}' },
    { value: [undefined], expected: "[null]" },
    { value: "s", expected: '"s"' },
  ];
  for (const c of cases) {
    it(c.expected, () => assert.equal(canonicalJson(c.value), c.expected));
  }
});
