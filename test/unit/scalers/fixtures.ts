/** Tiny builders so scaler test tables stay data: hosts, inputs and placements as plain objects. */
import type { HostView, Placement, ScalerInput, ScalerResult } from "../../../src/scalers/index.js";

/** `host("a", "zone=east,arch=arm64", 2)`: labels as a selector string, current instances last. */
export function host(hostId: string, labels = "", instances = 0): HostView {
  const entries = labels === "" ? [] : labels.split(",").map((pair) => pair.split("=") as [string, string]);
  return { hostId, labels: Object.fromEntries(entries), instances };
}

export function input<P>(properties: P, hosts: readonly HostView[]): ScalerInput<P> {
  return {
    app: { lattice: "default", name: "shop", version: "v1" },
    component: { name: "web", type: "process", rev: "r1", properties: {} },
    properties,
    hosts,
    now: 0,
  };
}

/** Placements as `{hostId: count}`, the shape test tables write their expectations in. */
export function placed(result: ScalerResult): Record<string, number> {
  const list: Placement[] = Array.isArray(result.placements)
    ? result.placements
    : [...result.placements].map(([hostId, count]) => ({ hostId, count }));
  return Object.fromEntries(list.map((p) => [p.hostId, p.count]));
}

/** The hosts as they would report after converging to `placement` (feeds a result back in). */
export function converged(hosts: readonly HostView[], placement: Record<string, number>): HostView[] {
  return hosts.map((h) => ({ ...h, instances: placement[h.hostId] ?? 0 }));
}
