/**
 * `daemonscaler` (ARCHITECTURE §6): the same number of instances on every eligible host, like a
 * Kubernetes DaemonSet. Spread groups only select hosts here; their weights are ignored.
 */
import { z } from "zod";
import {
  formatRequirements,
  matchesRequirements,
  NO_HOSTS,
  plural,
  resolveGroups,
  spreadSchema,
  toPlacementList,
} from "./spread.js";
import type { HostView, Scaler, ScalerInput, ScalerResult, ScalerStatus } from "./types.js";

export const daemonScalerProperties = z.strictObject({
  instances: z.number().int().min(1).default(1),
  spread: spreadSchema.optional(),
});

export type DaemonScalerProperties = z.output<typeof daemonScalerProperties>;

/** A host is eligible when it matches at least one group (every host when there is no spread). */
export function daemonHosts(props: DaemonScalerProperties, hosts: readonly HostView[]): HostView[] {
  const groups = resolveGroups(props.spread);
  return hosts.filter((h) => groups.some((g) => matchesRequirements(h.labels, g.requirements)));
}

function statusOf(props: DaemonScalerProperties, hosts: readonly HostView[], eligible: number): ScalerStatus {
  if (hosts.length === 0) return { ...NO_HOSTS };
  // Daemons follow the hosts that exist: no matching host yet is a wait, not a failure.
  if (eligible === 0) {
    const wanted = resolveGroups(props.spread).map((g) => formatRequirements(g.requirements));
    return { phase: "waiting", message: `no host matches ${wanted.join(" or ")}` };
  }
  return {
    phase: "ok",
    message: `${plural(props.instances, "instance")} on each of ${plural(eligible, "host")}`,
  };
}

export function reconcileDaemon(input: ScalerInput<DaemonScalerProperties>): ScalerResult {
  const { properties: props, hosts } = input;
  const eligible = daemonHosts(props, hosts);
  const placements = toPlacementList(new Map(eligible.map((h) => [h.hostId, props.instances])));
  return { placements, status: statusOf(props, hosts, eligible.length) };
}

export const daemonScaler: Scaler<DaemonScalerProperties> = {
  type: "daemonscaler",
  properties: daemonScalerProperties,
  desiredTotal: (props, hosts) => props.instances * daemonHosts(props, hosts).length,
  reconcile: reconcileDaemon,
};
