/**
 * Every API op as data: what its request body is and which result schema its `ok` reply carries.
 * `nadm schema --api` turns this into JSON Schemas (docs/api.schema.json), and a test checks
 * those against what the responder accepts and answers, so the documentation cannot drift.
 */
import { z } from "zod";
import type { TraitCatalog } from "../manifests/catalog.js";
import { manifestJsonSchema } from "../manifests/json-schema.js";
import { API_OPS, type ApiOp, subjects } from "../streams/subjects.js";
import * as P from "./protocol.js";

type RequestKind = "named" | "empty" | "manifest" | z.ZodType;

export interface OpContract {
  /** `named`: `{name, version?}` JSON; `empty`: `{}` or no body; `manifest`: YAML or JSON text; else its schema. */
  request: RequestKind;
  /** Schema of `result` in an ok reply; undefined when the op never succeeds (yet). */
  result: z.ZodType | undefined;
  summary: string;
}

export const API_CONTRACT: Record<ApiOp, OpContract> = {
  put: { request: "manifest", result: P.putResultSchema, summary: "store a manifest version" },
  get: {
    request: "named",
    result: P.getResultSchema,
    summary: "a stored manifest (default: deployed, else newest)",
  },
  list: { request: "empty", result: P.listResultSchema, summary: "every app of the lattice with its phase" },
  versions: { request: "named", result: P.versionsResultSchema, summary: "an app's stored versions" },
  delete: { request: "named", result: P.deleteResultSchema, summary: "delete one version, or the whole app" },
  deploy: { request: "named", result: P.deployResultSchema, summary: "deploy a version (default: newest)" },
  undeploy: { request: "named", result: P.deployResultSchema, summary: "stop running an app" },
  status: {
    request: "named",
    result: P.statusResultSchema,
    summary: "the app's status, checked against host reports",
  },
  history: {
    request: P.historyRequestSchema,
    result: P.historyResultSchema,
    summary: "the app's status transitions, API actions and (on request) commands",
  },
  plan: {
    request: P.planRequestSchema,
    result: P.planResultSchema,
    summary: "dry run: the waves of commands deploying a version or manifest would take; writes nothing",
  },
  validate: {
    request: "manifest",
    result: P.validateResultSchema,
    summary: "validate a manifest without storing it",
  },
  endpoints: {
    request: "named",
    result: P.endpointsResultSchema,
    summary: "where the app's ready instances listen now, from host reports",
  },
  pause: { request: "named", result: P.pauseResultSchema, summary: "stop reconciling an app" },
  resume: { request: "named", result: P.pauseResultSchema, summary: "reconcile a paused app again" },
};

const errorEnvelope = z
  .strictObject({ ok: z.literal(false), error: P.errorBodySchema })
  .meta({ title: "ErrorReply" });

function replySchema(result: z.ZodType | undefined): z.ZodType {
  if (!result) return errorEnvelope;
  return z.union([z.strictObject({ ok: z.literal(true), result }), errorEnvelope]);
}

/** Manifest requests refer to one shared definition (the manifest schema is large). */
const MANIFEST_REF = {
  $ref: "#/$defs/Manifest",
  description: "the manifest as YAML or JSON text (its JSON form)",
};

function requestJsonSchema(kind: RequestKind): Record<string, unknown> {
  if (kind === "manifest") return MANIFEST_REF;
  const schema = kind === "named" ? P.namedRequestSchema : kind === "empty" ? P.emptyRequestSchema : kind;
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input" }) as Record<string, unknown>;
  return rest;
}

function replyJsonSchema(result: z.ZodType | undefined): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(replySchema(result), { io: "output" }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** The JSON Schemas of every request and reply, keyed by op (`nadm schema --api`). */
export function apiJsonSchemas(catalog: TraitCatalog): Record<string, unknown> {
  const ops = Object.fromEntries(
    API_OPS.map((op) => {
      const c = API_CONTRACT[op];
      return [
        op,
        {
          subject: subjects.api("{lattice}", op),
          summary: c.summary,
          request: requestJsonSchema(c.request),
          reply: replyJsonSchema(c.result),
        },
      ];
    }),
  );
  const { $schema, ...manifest } = manifestJsonSchema(catalog);
  return {
    $schema,
    title: "nadm API (request/reply on NATS)",
    description:
      "Generated from the zod schemas in src/api/protocol.ts by `nadm schema --api`; see docs/api.md.",
    ops,
    $defs: { Manifest: manifest },
  };
}
