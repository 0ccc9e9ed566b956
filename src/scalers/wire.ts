/**
 * The JSON form of the scaler contract, for scalers that run in another process and answer on
 * `nadm.scaler.{lattice}.{type}` (remote scalers, any language). One zod schema per message, so
 * the JSON Schema `nadm schema --scaler-io` prints is the same thing the controller checks.
 *
 * A remote reply is untrusted like an in-process result: after this shape check it goes through
 * the same `normalizeResult` (unknown hosts, negative or fractional counts, duplicates).
 */
import { z } from "zod";
import type { ScalerInput } from "./types.js";

/** Trait type names a remote scaler may register: one subject token and one KV key token. */
export const remoteScalerTypeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, "lower-case letters, digits and '-', starting with a letter (≤ 63)");

const labels = z.record(z.string(), z.string());

export const scalerInputWireSchema = z
  .object({
    app: z.object({ lattice: z.string(), name: z.string(), version: z.string() }),
    component: z.object({
      name: z.string(),
      type: z.string().meta({ description: 'component type, e.g. "process"' }),
      rev: z.string().meta({ description: "revision hash of the component's properties" }),
      properties: z.record(z.string(), z.unknown()),
    }),
    properties: z.unknown().meta({ description: "the trait's properties, already validated" }),
    hosts: z.array(
      z.object({
        hostId: z.string(),
        labels,
        instances: z.number().int().nonnegative().meta({ description: "instances it runs now" }),
      }),
    ),
    now: z.number().meta({ description: "milliseconds since the epoch (scalers never read a clock)" }),
  })
  .meta({ title: "ScalerInput", description: "the request body on nadm.scaler.{lattice}.{type}" });

export const scalerResultWireSchema = z
  .object({
    placements: z.array(z.object({ hostId: z.string().min(1), count: z.number().int().nonnegative() })),
    status: z.object({ phase: z.enum(["ok", "waiting", "failed"]), message: z.string() }),
    desired: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .meta({ description: 'how many instances the properties ask for in all (status "2/5 ready")' }),
  })
  .meta({
    title: "ScalerResult",
    description: "the reply: hosts absent from placements get 0 instances; unknown hosts are an error",
  });

/** A reply that says the scaler itself could not compute a result (e.g. it threw). */
export const scalerErrorWireSchema = z
  .object({ error: z.string().min(1) })
  .meta({ title: "ScalerError", description: "a reply instead of a result when the scaler failed" });

export const scalerRegistrationSchema = z
  .object({
    type: remoteScalerTypeSchema,
    version: z.string().min(1).max(64),
    properties: z.record(z.string(), z.unknown()).meta({
      description: "JSON Schema of the trait's properties; manifests are checked against it at put",
    }),
    description: z.string().max(500).optional(),
  })
  .meta({
    title: "ScalerRegistration",
    description: "value of {lattice}.{type} in the nadm_scalers bucket",
  });

export type ScalerRegistration = z.infer<typeof scalerRegistrationSchema>;
export type ScalerInputWire = z.infer<typeof scalerInputWireSchema>;

/** The request body for a remote scaler: plain JSON of the same input an in-process one gets. */
export function toWireInput(input: ScalerInput<unknown>): ScalerInputWire {
  return {
    app: { ...input.app },
    component: { ...input.component, properties: { ...input.component.properties } },
    properties: input.properties,
    hosts: input.hosts.map((h) => ({ hostId: h.hostId, labels: { ...h.labels }, instances: h.instances })),
    now: input.now,
  };
}

/** JSON Schemas of the remote scaler messages (`nadm schema --scaler-io`). */
export function scalerIoJsonSchemas(): Record<string, unknown> {
  const schema = (s: z.ZodType) => {
    const { $schema, ...rest } = z.toJSONSchema(s, { io: "input", unrepresentable: "any" });
    return rest;
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "nadm remote scaler messages",
    description:
      "A remote scaler registers in KV bucket nadm_scalers under {lattice}.{type} and answers requests " +
      "on nadm.scaler.{lattice}.{type}: ScalerInput in, ScalerResult (or ScalerError) out.",
    $defs: {
      ScalerRegistration: schema(scalerRegistrationSchema),
      ScalerInput: schema(scalerInputWireSchema),
      ScalerResult: schema(scalerResultWireSchema),
      ScalerError: schema(scalerErrorWireSchema),
    },
  };
}
