/**
 * Validation of a parsed manifest against the trait catalog. Every problem is reported at once,
 * each at its path (`spec.components[1].traits[0].properties.spread[0].weight`), so a user fixes
 * a manifest in one round trip instead of one error at a time.
 */
import { z } from "zod";
import type { ErrorDetail } from "../errors.js";
import { type TraitCatalog, TraitKind } from "./catalog.js";
import { humanError, toDetails } from "./issues.js";
import { buildManifestSchema, isObject, type Manifest, type TraitSpec, traitShapeSchema } from "./schema.js";

export { type TraitCatalog, type TraitDefinition, TraitKind, traitCatalog } from "./catalog.js";

export type ValidationResult = { ok: true; manifest: Manifest } | { ok: false; details: ErrorDetail[] };

type ManifestSchema = ReturnType<typeof buildManifestSchema>;

// Catalogs do not change once built, so each one's schema is built once.
const schemas = new WeakMap<TraitCatalog, ManifestSchema>();

export function validateManifest(raw: unknown, catalog: TraitCatalog): ValidationResult {
  const result = manifestSchemaFor(catalog).safeParse(raw, { error: humanError });
  if (result.success) return { ok: true, manifest: result.data };
  return { ok: false, details: toDetails(result.error.issues) };
}

/** The zod schema that validates manifests against `catalog` (trait properties get their defaults). */
export function manifestSchemaFor(catalog: TraitCatalog): ManifestSchema {
  let schema = schemas.get(catalog);
  if (!schema) {
    schema = buildManifestSchema(traitListSchema(catalog));
    schemas.set(catalog, schema);
  }
  return schema;
}

function traitListSchema(catalog: TraitCatalog): z.ZodType<TraitSpec[]> {
  return z
    .array(traitSchema(catalog))
    .superRefine(traitKindRule(catalog), { when: (payload) => Array.isArray(payload.value) });
}

/** Checks the shared trait shape, then the properties with the schema the catalog has for `type`. */
function traitSchema(catalog: TraitCatalog) {
  const type = traitShapeSchema.shape.type.refine((t) => catalog.get(t) !== undefined, {
    error: (issue) =>
      `unknown trait type ${JSON.stringify(issue.input)}; known: ${catalog.types().join(", ")}`,
  });
  return traitShapeSchema.extend({ type }).transform((trait, ctx): TraitSpec => {
    const definition = catalog.get(trait.type);
    const parsed = definition?.properties.safeParse(trait.properties, { error: humanError });
    // Catalog schemas describe objects, and the input was checked to be one above.
    if (parsed?.success) return { type: trait.type, properties: parsed.data as Record<string, unknown> };
    for (const issue of parsed?.error.issues ?? []) {
      ctx.addIssue({ ...issue, path: ["properties", ...issue.path], input: undefined });
    }
    // The value is discarded (there are issues) but keeps `type` for the scaler-count rule.
    return trait;
  });
}

/** At most one scaler per component (one owner per workload, §6); each policy type at most once. */
function traitKindRule(catalog: TraitCatalog) {
  return (traits: readonly unknown[], ctx: z.RefinementCtx<TraitSpec[]>): void => {
    let scalerIndex: number | undefined;
    const policyIndex = new Map<string, number>();
    traits.forEach((trait, index) => {
      const type = isObject(trait) ? trait.type : undefined;
      const definition = typeof type === "string" ? catalog.get(type) : undefined;
      if (!definition) return;
      if (definition.kind === TraitKind.Scaler) {
        if (scalerIndex === undefined) scalerIndex = index;
        else
          ctx.addIssue({ code: "custom", path: [index], message: secondScaler(traits[scalerIndex], type) });
        return;
      }
      const first = policyIndex.get(type as string);
      if (first === undefined) policyIndex.set(type as string, index);
      else
        ctx.addIssue({
          code: "custom",
          path: [index],
          message: `"${type}" is given twice (first at traits[${first}]); at most one per component`,
        });
    });
  };
}

function secondScaler(first: unknown, second: unknown): string {
  const firstType = isObject(first) ? String(first.type) : "?";
  return `a component has at most one scaler trait; it already has "${firstType}", so "${String(second)}" is not allowed`;
}
