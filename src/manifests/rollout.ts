/**
 * The built-in `rollout` policy trait (ARCHITECTURE §6, §8): how the core moves a component's
 * instances from old revisions to a new one. It lives with the manifest language, not with the
 * scalers, because it places nothing; the rollout planner reads it.
 */
import { z } from "zod";
import { type TraitDefinition, TraitKind } from "./catalog.js";

export const ROLLOUT_TRAIT = "rollout";

const PERCENT = /^(100|[1-9]?[0-9])%$/;

const AMOUNT_ERROR = 'must be a non-negative integer or a percentage such as "25%"';

/** A count of instances, absolute (`2`) or relative to the desired total (`"25%"`). */
const amountSchema = z.union([z.int().min(0), z.string().regex(PERCENT, { error: AMOUNT_ERROR })], {
  error: AMOUNT_ERROR,
});
export type RolloutAmount = z.infer<typeof amountSchema>;

/** A host label name such as `zone` or `nadm.io/hostname`. */
const labelNameSchema = z
  .string()
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/, {
    error: "must be a label name: letters, digits, '.', '_', '/' or '-', starting and ending alphanumeric",
  });

export const rolloutPropertiesSchema = z
  .strictObject({
    /** Instances allowed above the desired count during a rollout (Kubernetes rounds % up). */
    maxSurge: amountSchema.default("25%"),
    /** Available instances allowed below the desired count during a rollout (% rounds down). */
    maxUnavailable: amountSchema.default("25%"),
    /** A new instance counts as ready only after being ready this long. */
    minReadySeconds: z.number().min(0).default(0),
    /** Without progress for this long, the rollout is `failed` (and reverted with `autoRevert`). */
    progressDeadlineSeconds: z.number().positive().default(600),
    /** Disrupt at most one value of this host label at a time, e.g. zone by zone. */
    serialBy: labelNameSchema.optional(),
    /** Redeploy the previous version when the progress deadline passes. */
    autoRevert: z.boolean().default(false),
  })
  .superRefine(
    (rollout, ctx) => {
      // Nothing could ever be replaced: no spare instance may start and none may stop.
      if (isZero(rollout.maxSurge) && isZero(rollout.maxUnavailable)) {
        ctx.addIssue({
          code: "custom",
          path: ["maxUnavailable"],
          message: "maxSurge and maxUnavailable cannot both be 0: the rollout could never progress",
        });
      }
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  );
export type RolloutProperties = z.output<typeof rolloutPropertiesSchema>;

function isZero(amount: unknown): boolean {
  return amount === 0 || amount === "0%";
}

/** Catalog entry of the built-in policy; the scaler registry adds it beside the scalers. */
export const rolloutTrait: TraitDefinition = {
  kind: TraitKind.Policy,
  properties: rolloutPropertiesSchema,
};

/**
 * Resolves an amount against the desired total. Like Kubernetes, surge rounds up and
 * unavailability rounds down, so a percentage never blocks a rollout nor over-disrupts.
 */
export function resolveAmount(amount: RolloutAmount, total: number, round: "up" | "down"): number {
  if (typeof amount === "number") return amount;
  const exact = (Number.parseInt(amount, 10) * total) / 100;
  return round === "up" ? Math.ceil(exact) : Math.floor(exact);
}
