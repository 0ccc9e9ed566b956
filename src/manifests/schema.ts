/**
 * The application manifest language (ARCHITECTURE §1): OAM-like, versioned, component types
 * from the component-type catalog (`components/catalog.ts`), traits from a runtime catalog. The trait list is a parameter of
 * `buildManifestSchema` because validation checks traits against the catalog while the JSON
 * Schema describes them as a `oneOf`; everything else is fixed here.
 *
 * A component without a scaler trait is valid: it is stored and deployable but runs nowhere,
 * which lets an operator stage a component before choosing where it runs.
 */
import { z } from "zod";
import { COMPONENT_TYPE_NAMES, type ComponentTypeName, componentTypes } from "../components/catalog.js";
import { componentGraphRule } from "./graph.js";
import { nameSchema } from "./names.js";

export const API_VERSIONS = ["nadm.dev/v1", "core.oam.dev/v1beta1"] as const;
export const MAX_COMPONENTS = 256;
export const COMPONENT_TYPES = COMPONENT_TYPE_NAMES;
export type ComponentType = ComponentTypeName;
export { type ProcessProperties, processPropertiesSchema } from "../components/process-properties.js";
export { MAX_NAME_LENGTH, nameSchema } from "./names.js";

const versionSchema = z.string().min(1).max(128).regex(/^\S+$/, { error: "must not contain whitespace" });

const metadataSchema = z.strictObject({
  name: nameSchema,
  annotations: z
    .object({
      /** Assigned from the time of `app put` when absent (see `assignVersion`). */
      version: versionSchema.optional(),
      description: z.string().optional(),
    })
    .catchall(z.string())
    .optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

/** The trait shape every catalog entry shares; `properties` is then checked by the entry's schema. */
export const traitShapeSchema = z.strictObject({
  type: z.string().min(1),
  properties: z.record(z.string(), z.unknown()).default({}),
});

export interface TraitSpec {
  type: string;
  properties: Record<string, unknown>;
}

/**
 * One variant per catalog type, keyed by `type`: the type's own properties schema checks
 * `properties` (a wrong or missing `type` is reported alone, at its path).
 */
function componentSchema(traits: z.ZodType<TraitSpec[]>) {
  const variants = componentTypes.map((t) => componentVariant(t, traits)) as [Variant, ...Variant[]];
  return z.discriminatedUnion("type", variants, {
    error: (issue) => {
      if (issue.code !== "invalid_union") return undefined;
      const type = isObject(issue.input) ? issue.input.type : undefined;
      return type === undefined
        ? "is required"
        : `unknown component type ${JSON.stringify(type)}; known: ${COMPONENT_TYPES.join(", ")}`;
    },
  });
}

function componentVariant<C extends (typeof componentTypes)[number]>(t: C, traits: z.ZodType<TraitSpec[]>) {
  return z.strictObject({
    name: nameSchema,
    type: z.literal(t.type as C["type"]),
    properties: t.properties as C["properties"],
    traits: traits.default([]),
    /** Placement waits until each of these components has a ready instance (`reconcile/depends.ts`). */
    dependsOn: z.array(nameSchema).max(MAX_COMPONENTS).optional(),
  });
}
type Variant = ReturnType<typeof componentVariant<(typeof componentTypes)[number]>>;

export function buildManifestSchema(traits: z.ZodType<TraitSpec[]>) {
  return z.strictObject({
    apiVersion: z.enum(API_VERSIONS),
    kind: z.literal("Application"),
    metadata: metadataSchema,
    spec: z.strictObject({
      components: z
        .array(componentSchema(traits))
        .min(1)
        .max(MAX_COMPONENTS)
        .superRefine(uniqueComponentNames, { when: (payload) => Array.isArray(payload.value) })
        .superRefine(componentGraphRule, { when: (payload) => Array.isArray(payload.value) }),
    }),
  });
}

/** The manifest with defaults filled in, as stored and as reconciled. */
export type Manifest = z.output<ReturnType<typeof buildManifestSchema>>;
export type ComponentSpec = Manifest["spec"]["components"][number];

/** Reports each repeated name at the repeat's own path, naming where it was first used. */
function uniqueComponentNames(
  components: readonly unknown[],
  ctx: z.RefinementCtx<readonly unknown[]>,
): void {
  const firstIndex = new Map<string, number>();
  components.forEach((component, index) => {
    const name = isObject(component) ? component.name : undefined;
    if (typeof name !== "string") return;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, index);
    else
      ctx.addIssue({
        code: "custom",
        path: [index, "name"],
        message: `duplicate component name "${name}" (first used by spec.components[${first}])`,
      });
  });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
