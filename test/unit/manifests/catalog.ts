/**
 * A trait catalog for tests, with the shapes of the built-in scalers' properties written out
 * here: the manifest room is tested without depending on the scalers room.
 */
import { z } from "zod";
import { ROLLOUT_TRAIT, rolloutTrait, TraitKind, traitCatalog } from "../../../src/manifests/index.js";

const spreadSchema = z.array(
  z.strictObject({
    name: z.string().min(1),
    requirements: z.record(z.string(), z.string()).optional(),
    weight: z.int().min(0).default(1),
  }),
);

export const spreadscalerProperties = z.strictObject({
  instances: z.int().min(0),
  spread: spreadSchema.optional(),
});

export const daemonscalerProperties = z.strictObject({
  instances: z.int().min(1).default(1),
  spread: spreadSchema.optional(),
});

export const testCatalog = traitCatalog([
  ["spreadscaler", { kind: TraitKind.Scaler, properties: spreadscalerProperties }],
  ["daemonscaler", { kind: TraitKind.Scaler, properties: daemonscalerProperties }],
  [ROLLOUT_TRAIT, rolloutTrait],
]);
