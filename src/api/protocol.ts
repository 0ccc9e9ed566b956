/**
 * The API's wire contract (ARCHITECTURE §9), shared by the responder, the client the CLI uses and
 * `nadm schema --api` (which turns these zod schemas into the JSON Schemas of docs/api.md). One
 * definition per shape: the types below are inferred from the schemas.
 */
import { z } from "zod";
import type { ErrorBody } from "../errors.js";
import { ErrorCode } from "../errors.js";
import { nameSchema as appNameSchema } from "../manifests/names.js";
import { appStatusSchema, PHASES } from "../streams/app-status.js";

/**
 * Requests larger than this are refused before parsing (a manifest is ≤ 1 MiB). The limit a
 * responder applies is the smaller of this and the server's max_payload, read at connect.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024 + 4096;

/** The app name requests carry: the manifest's `metadata.name` rule, not a second definition. */
export const nameSchema = appNameSchema.meta({ description: "app name (metadata.name)" });

const versionSchema = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters long");

export const namedRequestSchema = z
  .strictObject({
    name: nameSchema,
    version: versionSchema.optional().meta({ description: "a stored version; default depends on the op" }),
  })
  .meta({ title: "NamedRequest" });
export type NamedRequest = z.infer<typeof namedRequestSchema>;

export const emptyRequestSchema = z.strictObject({}).meta({ title: "EmptyRequest" });

const detailSchema = z.strictObject({ path: z.string(), message: z.string() });

export const errorBodySchema = z.strictObject({
  code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  details: z.array(detailSchema),
});

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ErrorBody };

export const putResultSchema = z.strictObject({
  name: z.string(),
  version: z.string(),
  /** false when the same content was already stored (as this version, or, without one, as any). */
  created: z.boolean(),
  versions: z.number().int().min(0),
});
export type PutResult = z.infer<typeof putResultSchema>;

export const getResultSchema = z.strictObject({
  name: z.string(),
  version: z.string(),
  deployed: z.boolean(),
  manifest: z.record(z.string(), z.unknown()),
});
export type GetResult = z.infer<typeof getResultSchema>;

export const appSummarySchema = z.strictObject({
  name: z.string(),
  latestVersion: z.string().nullable(),
  deployedVersion: z.string().nullable(),
  versions: z.number().int().min(0),
  paused: z.boolean(),
  phase: z.enum(PHASES),
  message: z.string(),
});
export type AppSummary = z.infer<typeof appSummarySchema>;

export const listResultSchema = z.strictObject({ apps: z.array(appSummarySchema) });
export type ListResult = z.infer<typeof listResultSchema>;

export const versionsResultSchema = z.strictObject({
  name: z.string(),
  deployedVersion: z.string().nullable(),
  previousVersion: z.string().nullable(),
  versions: z.array(
    z.strictObject({
      version: z.string(),
      createdAt: z.string(),
      deployed: z.boolean(),
      digest: z.string(),
      size: z.number().int().min(0),
    }),
  ),
});
export type VersionsResult = z.infer<typeof versionsResultSchema>;

export const deleteResultSchema = z.strictObject({
  name: z.string(),
  version: z.string().nullable(),
  deleted: z.literal(true),
  undeployed: z.boolean(),
});
export type DeleteResult = z.infer<typeof deleteResultSchema>;

export const deployResultSchema = z.strictObject({
  name: z.string(),
  version: z.string().nullable(),
  changed: z.boolean(),
});
export type DeployResult = z.infer<typeof deployResultSchema>;

export const pauseResultSchema = z.strictObject({
  name: z.string(),
  paused: z.boolean(),
  changed: z.boolean(),
});
export type PauseResult = z.infer<typeof pauseResultSchema>;

export const validateResultSchema = z.strictObject({
  valid: z.literal(true),
  name: z.string(),
  version: z.string().nullable(),
  components: z.array(z.string()),
});
export type ValidateResult = z.infer<typeof validateResultSchema>;

export const statusResultSchema = appStatusSchema;
export type StatusResult = z.infer<typeof statusResultSchema>;

export const historyRequestSchema = z
  .strictObject({
    name: nameSchema,
    commands: z.boolean().optional().meta({ description: "also list the commands issued for the app" }),
  })
  .meta({ title: "HistoryRequest" });

export const historyResultSchema = z.strictObject({
  name: z.string(),
  /** Status transitions, oldest first (as deep as the status bucket's history). */
  entries: z.array(appStatusSchema.extend({ revision: z.number().int().min(1) })),
  /** API actions and auto-reverts, oldest first: put, pause, resume, deploy, revert, undeploy, delete. */
  actions: z.array(
    z.strictObject({
      at: z.string(),
      action: z.string(),
      version: z.string().nullable(),
      reason: z.string().optional(),
    }),
  ),
  /** With `commands: true`: the commands issued for the app, in stream order. */
  commands: z
    .array(
      z.strictObject({
        at: z.string(),
        id: z.string(),
        hostId: z.string(),
        component: z.string(),
        workload: z.string(),
        count: z.number().int().min(0),
        reason: z.string(),
      }),
    )
    .optional(),
});
export type HistoryResult = z.infer<typeof historyResultSchema>;

/** `{name, version?}` (a stored app's version, default the newest) or `{manifest}` (text, not stored). */
export const planRequestSchema = z
  .union(
    [
      z.strictObject({ name: nameSchema, version: versionSchema.optional() }),
      z.strictObject({
        manifest: z
          .string({ error: "must be the manifest's YAML or JSON text" })
          .meta({ description: "a manifest's YAML or JSON text, not stored" }),
      }),
    ],
    {
      error:
        "must be {name, version?} (a stored app's version) or {manifest} (a manifest's text), nothing else",
    },
  )
  .meta({ title: "PlanRequest" });

/** One command of a planned wave: host, workload, count from → to, and why. */
export const planCommandSchema = z.strictObject({
  hostId: z.string(),
  component: z.string(),
  workload: z.string(),
  from: z.number().int().min(0),
  to: z.number().int().min(0),
  reason: z.string(),
});
export type PlanCommand = z.infer<typeof planCommandSchema>;

export const planResultSchema = z.strictObject({
  name: z.string(),
  /** The version planned to, and the one deployed now (null: none). */
  version: z.string(),
  from: z.string().nullable(),
  /** In the order the reconciler takes them; `groups` are the serialBy values a wave disrupts. */
  waves: z.array(
    z.strictObject({
      wave: z.number().int().min(1),
      groups: z.array(z.string()),
      commands: z.array(planCommandSchema),
    }),
  ),
  /** Component → hostId → instances once the waves are done. */
  placement: z.record(z.string(), z.record(z.string(), z.number().int())),
  /** The status the app would reach, with the reconciler's own sentence. */
  phase: z.enum(PHASES),
  message: z.string(),
  /** false: it would not converge (the message says why). */
  finished: z.boolean(),
});
export type PlanResult = z.infer<typeof planResultSchema>;

export const endpointsResultSchema = z.strictObject({
  name: z.string(),
  /** Per component, where its ready instances listen (`address:port`), from live host reports. */
  components: z.array(
    z.strictObject({
      component: z.string(),
      endpoints: z.array(z.strictObject({ hostId: z.string(), endpoint: z.string(), rev: z.string() })),
    }),
  ),
});
export type EndpointsResult = z.infer<typeof endpointsResultSchema>;
