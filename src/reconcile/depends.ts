/**
 * `dependsOn`: a component's placement waits until each component it depends on has at least
 * one ready instance (any revision: during an upgrade of the dependency, its old instances
 * count). Pure. While it waits, a component keeps exactly what hosts were already told to run
 * — nothing new is placed and nothing is taken away, so a dependency that goes down for a while
 * never stops its dependants — and its status says what it waits for.
 */
import type { WorkloadOnHost } from "../lattice/view.js";
import type { Manifest } from "../manifests/schema.js";
import type { ComponentPlan } from "./desired.js";

/** Ready instances per component of the app, over every host and revision. */
function readyByComponent(workloads: readonly WorkloadOnHost[]): Map<string, number> {
  const ready = new Map<string, number>();
  for (const w of workloads) {
    ready.set(w.inventory.component, (ready.get(w.inventory.component) ?? 0) + w.inventory.ready);
  }
  return ready;
}

/**
 * Returns `plans` with each component whose dependencies are not ready held: its placements
 * are what hosts were told for its current workload (`told`), its status `waiting`.
 */
export function holdForDependencies(
  manifest: Manifest | undefined,
  plans: ComponentPlan[],
  workloads: readonly WorkloadOnHost[],
  told: (hostId: string, key: string) => number,
): ComponentPlan[] {
  if (!manifest?.spec.components.some((c) => c.dependsOn?.length)) return plans;
  const ready = readyByComponent(workloads);
  return plans.map((plan) => {
    const spec = manifest.spec.components.find((c) => c.name === plan.name);
    const missing = (spec?.dependsOn ?? []).filter((dep) => (ready.get(dep) ?? 0) === 0);
    if (missing.length === 0 || plan.unmanaged || plan.status.phase === "failed") return plan;
    const held = new Map<string, number>();
    for (const w of workloads) {
      const count = w.key === plan.key ? told(w.host.hostId, w.key) : 0;
      if (count > 0) held.set(w.host.hostId, count);
    }
    const message = `waiting for ${missing.map((dep) => `${dep} (0 ready)`).join(", ")}`;
    return { ...plan, placements: held, status: { phase: "waiting" as const, message } };
  });
}
