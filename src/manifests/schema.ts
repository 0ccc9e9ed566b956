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
import {
  COMPONENT_TYPE_NAMES,
  type ComponentProperties,
  type ComponentTypeName,
  componentType,
  componentTypes,
} from "../components/catalog.js";
import { componentGraphRule } from "./graph.js";
import { humanError } from "./issues.js";
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
 * A component: its shape here, its `properties` by its type's own schema (components/catalog.ts),
 * checked even when other fields are wrong so that every problem is reported at once. While the
 * catalog has one type, properties are checked as that type whatever `type` says.
 */
function componentSchema(traits: z.ZodType<TraitSpec[]>) {
  return z
    .strictObject({
      name: nameSchema,
      type: z.enum(COMPONENT_TYPES, { error: unknownTypeMessage }),
      properties: z.unknown(),
      traits: traits.default([]),
      /** Placement waits until each of these components has a ready instance (`reconcile/depends.ts`). */
      dependsOn: z.array(nameSchema).max(MAX_COMPONENTS).optional(),
    })
    .superRefine(typedProperties, { when: (payload) => isObject(payload.value) })
    .transform((c, ctx) => {
      // Zod runs this even after some issues (an unknown key inside `properties`), already
      // reported by `typedProperties`: the value is discarded then, so nothing more to say.
      const parsed = typeOf(c.type)?.properties.safeParse(c.properties);
      if (parsed?.success) return { ...c, properties: parsed.data as ComponentProperties };
      if (ctx.issues.length === 0) ctx.addIssue({ code: "custom", path: ["properties"], message: "invalid" });
      return z.NEVER;
    });
}

function unknownTypeMessage(issue: { input?: unknown }): string {
  return issue.input === undefined
    ? "is required"
    : `unknown component type ${JSON.stringify(issue.input)}; known: ${COMPONENT_TYPES.join(", ")}`;
}

function typeOf(type: unknown) {
  const [only, ...others] = componentTypes;
  // Not String(type): an object whose `toString` is not a function makes it throw.
  const named = typeof type === "string" ? componentType(type) : undefined;
  return named ?? (others.length === 0 ? only : undefined);
}

function typedProperties(component: { type: unknown; properties: unknown }, ctx: z.RefinementCtx): void {
  const parsed = typeOf(component.type)?.properties.safeParse(component.properties, { error: humanError });
  for (const issue of parsed?.error?.issues ?? []) {
    ctx.addIssue({ ...issue, path: ["properties", ...issue.path], input: undefined });
  }
}

/**
 * What `nadm schema` describes: one variant per catalog type, keyed by `type`, each with its
 * type's properties. Validation uses `componentSchema` instead, which reports every problem of
 * a component whose `type` is wrong (a union would report the type alone).
 */
function componentJsonSchema(traits: z.ZodType<TraitSpec[]>) {
  const variants = componentTypes.map((t) =>
    z
      .strictObject({
        name: nameSchema,
        type: z.literal(t.type),
        properties: t.properties,
        traits: traits.default([]),
        dependsOn: z.array(nameSchema).max(MAX_COMPONENTS).optional(),
      })
      .meta({ title: `${t.type} component`, description: t.description }),
  );
  const [first, ...rest] = variants;
  return z.discriminatedUnion("type", [first!, ...rest]) as z.ZodType as ReturnType<typeof componentSchema>;
}

/** `describe`: the variant `nadm schema` prints as JSON Schema (see `componentJsonSchema`). */
export function buildManifestSchema(traits: z.ZodType<TraitSpec[]>, opts: { describe?: boolean } = {}) {
  const component = opts.describe ? componentJsonSchema(traits) : componentSchema(traits);
  return z.strictObject({
    apiVersion: z.enum(API_VERSIONS),
    kind: z.literal("Application"),
    metadata: metadataSchema,
    spec: z.strictObject({
      components: z
        .array(component)
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
