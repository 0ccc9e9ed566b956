/**
 * The application manifest language (ARCHITECTURE §1): OAM-like, versioned, one `process`
 * component type, traits chosen from a runtime catalog. The trait list is a parameter of
 * `buildManifestSchema` because validation checks traits against the catalog while the JSON
 * Schema describes them as a `oneOf`; everything else is fixed here.
 *
 * A component without a scaler trait is valid: it is stored and deployable but runs nowhere,
 * which lets an operator stage a component before choosing where it runs.
 */
import { z } from "zod";

export const API_VERSIONS = ["nadm.dev/v1", "core.oam.dev/v1beta1"] as const;
export const MAX_COMPONENTS = 256;
export const MAX_NAME_LENGTH = 63;
export const COMPONENT_TYPES = ["process"] as const;
export type ComponentType = (typeof COMPONENT_TYPES)[number];

/**
 * App and component names become NATS subject tokens and KV key parts (`{app}.{component}.{rev}`),
 * so `.`, `*`, `>` and whitespace can never appear; the DNS-label rule is the familiar subset.
 * The length is checked apart so that a long name gets one message, not two.
 */
export const nameSchema = z
  .string()
  .max(MAX_NAME_LENGTH)
  .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, {
    error:
      "must be lowercase letters, digits and '-', starting with a letter and ending with a letter or digit",
  });

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

/** Environment variable names; `NADM_*` belong to the host, which sets them for every instance. */
const envKeySchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    error: "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)",
  })
  .refine((key) => !key.startsWith("NADM_"), { error: "NADM_* variables are reserved: the host sets them" });

const portSchema = z.union([z.literal("auto"), z.int().min(1).max(65535)], {
  error: 'must be "auto" or an integer port 1..65535',
});

const readinessSchema = z
  .strictObject({
    /** `alive`: ready once started; `tcp`: ready once the instance accepts connections on its port. */
    type: z.enum(["alive", "tcp"]).default("alive"),
    minReadySeconds: z.number().min(0).default(0),
  })
  .default({ type: "alive", minReadySeconds: 0 });

export const processPropertiesSchema = z
  .strictObject({
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
    env: z.record(envKeySchema, z.string()).optional(),
    cwd: z.string().min(1).optional(),
    /** `auto`: the host picks a free port and passes it as `PORT`. */
    port: portSchema.optional(),
    readiness: readinessSchema,
  })
  .superRefine(
    (props, ctx) => {
      if (props.readiness?.type === "tcp" && props.port === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["readiness", "type"],
          message: "tcp readiness requires a port",
        });
      }
    },
    // Runs even when other properties are wrong, so that every problem is reported at once.
    { when: (payload) => isObject(payload.value) },
  );
export type ProcessProperties = z.output<typeof processPropertiesSchema>;

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
 * Only `process` exists, so its properties are checked whatever `type` says (a wrong type is
 * reported beside them). A second type turns `component` into a discriminated union on `type`.
 */
function componentSchema(traits: z.ZodType<TraitSpec[]>) {
  return z.strictObject({
    name: nameSchema,
    type: z.enum(COMPONENT_TYPES, {
      error: (issue) =>
        issue.input === undefined
          ? "is required"
          : `unknown component type ${JSON.stringify(issue.input)}; known: ${COMPONENT_TYPES.join(", ")}`,
    }),
    properties: processPropertiesSchema,
    traits: traits.default([]),
  });
}

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
        .superRefine(uniqueComponentNames, { when: (payload) => Array.isArray(payload.value) }),
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
