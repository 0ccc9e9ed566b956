/**
 * The JSON Schema of manifests (`nadm schema`), for editors and CI. It is generated from the same
 * zod schema that validation uses, with the catalog's traits as a `oneOf` keyed by `type`, so it
 * cannot drift from what `app put` accepts (cross-field rules such as unique names are not
 * expressible in JSON Schema and stay server-side).
 */
import { z } from "zod";
import type { TraitCatalog } from "./catalog.js";
import { buildManifestSchema, COMPONENT_TYPES, type TraitSpec } from "./schema.js";

export function manifestJsonSchema(catalog: TraitCatalog): Record<string, unknown> {
  const schema = buildManifestSchema(traitsJsonSchema(catalog), { describe: true }).meta({
    title: "nadm application manifest",
    description: `Application manifest. Component types: ${COMPONENT_TYPES.join(", ")}. Trait types: ${catalog.types().join(", ")}.`,
  });
  // Input shape: what a user writes, so fields with defaults are optional. Custom scalers may
  // use zod features JSON Schema cannot express (transforms); those parts accept anything.
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}

function traitsJsonSchema(catalog: TraitCatalog): z.ZodType<TraitSpec[]> {
  const options = catalog.types().map((type) => {
    const definition = catalog.get(type)!;
    // Properties may be omitted when every one of them has a default (e.g. `rollout`).
    const properties = definition.properties.safeParse({}).success
      ? definition.properties.optional()
      : definition.properties;
    return z
      .strictObject({ type: z.literal(type), properties })
      .meta({ title: `${type} (${definition.kind})` });
  });
  const [first, ...rest] = options;
  const item = first ? z.discriminatedUnion("type", [first, ...rest]) : z.never();
  // Only this array's JSON Schema is used, never its parse output, so its output type is moot.
  return z.array(item) as z.ZodType as z.ZodType<TraitSpec[]>;
}
