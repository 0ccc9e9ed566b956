/**
 * `spreadscaler` (ARCHITECTURE §6): a fixed number of instances, divided among spread groups by
 * weight (largest remainder), then evenly over each group's eligible hosts.
 */
import { z } from "zod";
import {
  addPlacements,
  apportion,
  describePlacement,
  formatRequirements,
  matchesRequirements,
  NO_HOSTS,
  resolveGroups,
  type SpreadGroup,
  spreadEvenly,
  spreadSchema,
  toPlacementList,
} from "./spread.js";
import type { HostView, Scaler, ScalerInput, ScalerResult, ScalerStatus } from "./types.js";

export const spreadScalerProperties = z.strictObject({
  instances: z.number().int().min(0),
  spread: spreadSchema.optional(),
});

export type SpreadScalerProperties = z.output<typeof spreadScalerProperties>;

interface GroupPlan {
  group: SpreadGroup;
  quota: number;
  eligible: HostView[];
}

function planGroups(props: SpreadScalerProperties, hosts: readonly HostView[]): GroupPlan[] {
  const groups = resolveGroups(props.spread);
  const quotas = apportion(
    props.instances,
    groups.map((g) => g.weight),
  );
  return groups.map((group, i) => ({
    group,
    quota: quotas[i]!,
    eligible: hosts.filter((h) => matchesRequirements(h.labels, group.requirements)),
  }));
}

/** Groups that should hold instances but have nowhere to put them. */
function unplaceable(plans: readonly GroupPlan[]): GroupPlan[] {
  return plans.filter((p) => p.group.weight > 0 && p.quota > 0 && p.eligible.length === 0);
}

function describeUnplaceable(plans: readonly GroupPlan[]): string {
  const parts = plans.map(
    (p) => `${formatRequirements(p.group.requirements)} (spread group "${p.group.name}")`,
  );
  return `no host matches ${parts.join(", ")}`;
}

function statusOf(
  props: SpreadScalerProperties,
  hosts: readonly HostView[],
  plans: readonly GroupPlan[],
  placedMessage: string,
): ScalerStatus {
  // A configuration mistake is reported before anything that depends on the lattice.
  if (plans.every((p) => p.group.weight === 0)) {
    return { phase: "failed", message: "all spread weights are 0" };
  }
  // Nothing is asked for, so nothing is waited on: an app scaled to zero is healthy.
  if (props.instances === 0) return { phase: "ok", message: "no instances requested" };
  if (hosts.length === 0) return { ...NO_HOSTS };
  const missing = unplaceable(plans);
  if (missing.length > 0) return { phase: "failed", message: describeUnplaceable(missing) };
  return { phase: "ok", message: placedMessage };
}

export function reconcileSpread(input: ScalerInput<SpreadScalerProperties>): ScalerResult {
  const { properties: props, hosts } = input;
  const plans = planGroups(props, hosts);
  const placed = new Map<string, number>();
  // Groups are placed independently and summed, so a host in two groups serves both quotas.
  const seed = `${input.app.lattice}/${input.app.name}/${input.component.name}`;
  for (const plan of plans) addPlacements(placed, spreadEvenly(plan.quota, plan.eligible, seed));
  const placements = toPlacementList(placed);
  return { placements, status: statusOf(props, hosts, plans, describePlacement(placements)) };
}

export const spreadScaler: Scaler<SpreadScalerProperties> = {
  type: "spreadscaler",
  properties: spreadScalerProperties,
  desiredTotal: (props) => props.instances,
  reconcile: reconcileSpread,
};
