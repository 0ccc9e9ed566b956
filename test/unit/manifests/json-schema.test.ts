import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { manifestJsonSchema } from "../../../src/manifests/index.js";
import { testCatalog } from "./catalog.js";

describe("manifestJsonSchema", () => {
  const schema = manifestJsonSchema(testCatalog);
  const text = JSON.stringify(schema);

  it("is a JSON Schema document of an object with a spec", () => {
    assert.match(String(schema.$schema), /json-schema\.org/);
    assert.equal(schema.type, "object");
    const properties = schema.properties as Record<string, unknown>;
    assert.ok(properties.spec, "properties.spec");
    assert.deepEqual(schema.required, ["apiVersion", "kind", "metadata", "spec"]);
  });

  it("describes traits as a oneOf of the known types", () => {
    const oneOf = /"traits":\{[\s\S]*?"items":\{"oneOf":\[/;
    assert.match(text, oneOf);
    for (const type of testCatalog.types()) assert.ok(text.includes(`"const":"${type}"`), type);
  });

  it("includes each trait's properties schema", () => {
    assert.ok(text.includes('"progressDeadlineSeconds"'), "rollout properties");
    assert.ok(text.includes('"weight"'), "spreadscaler properties");
  });

  it("is plain JSON", () => assert.deepEqual(JSON.parse(text), schema));
});
