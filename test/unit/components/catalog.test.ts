/**
 * The component-type catalog is what every reader of a component's `type` reads: the manifest
 * schema, `nadm schema`'s JSON Schema and the host's validation each follow the registered
 * types (and their properties), so a type is added in one place.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { builtinTraitCatalog } from "../../../src/catalog.js";
import { COMPONENT_TYPE_NAMES, componentTypes, parseWorkload } from "../../../src/components/catalog.js";
import { UnsupportedWorkloadError } from "../../../src/host/drivers/types.js";
import { manifestJsonSchema, validateManifest } from "../../../src/manifests/index.js";

const catalog = builtinTraitCatalog();

function app(type: string, properties: unknown) {
  return {
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name: "shop" },
    spec: { components: [{ name: "web", type, properties }] },
  };
}

describe("component-type catalog", () => {
  it("the JSON Schema has one component variant per registered type, with its properties", () => {
    const schema = manifestJsonSchema(catalog) as {
      properties: {
        spec: { properties: { components: { items: { oneOf: Array<Record<string, unknown>> } } } };
      };
    };
    const variants = schema.properties.spec.properties.components.items.oneOf;
    assert.deepEqual(
      variants.map((v) => (v.properties as { type: { const: string } }).type.const),
      [...COMPONENT_TYPE_NAMES],
    );
    for (const [i, t] of componentTypes.entries()) {
      const properties = (variants[i]!.properties as Record<string, unknown>).properties;
      const { $schema: _, ...own } = z.toJSONSchema(t.properties, { io: "input", unrepresentable: "any" });
      assert.deepEqual(properties, own, t.type);
      assert.equal(variants[i]!.description, t.description);
    }
  });

  it("put and hosts refuse an unregistered type, naming the registered ones", () => {
    const put = validateManifest(app("container", { image: "nginx" }), catalog);
    assert.equal(put.ok, false);
    const known = COMPONENT_TYPE_NAMES.join(", ");
    assert.ok(
      !put.ok &&
        put.details.some(
          (d) => d.path === "spec.components[0].type" && d.message.endsWith(`known: ${known}`),
        ),
      JSON.stringify(!put.ok && put.details),
    );
    assert.throws(
      () => parseWorkload({ type: "container", spec: { image: "nginx" } }),
      (err: unknown) =>
        err instanceof UnsupportedWorkloadError &&
        err.path === "workload.type" &&
        err.message.includes(known),
    );
  });

  it("put stores, and hosts parse, the properties each type's own schema gives", () => {
    for (const t of componentTypes) {
      const sample = { command: "node" }; // process: the only type today
      const put = validateManifest(app(t.type, sample), catalog);
      if (!put.ok) assert.fail(JSON.stringify(put.details));
      const stored = put.manifest.spec.components[0]!.properties;
      assert.deepEqual(stored, t.properties.parse(sample));
      assert.deepEqual(
        parseWorkload({ type: t.type, spec: stored as Record<string, unknown> }).properties,
        stored,
      );
    }
  });
});
