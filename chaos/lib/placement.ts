/**
 * "Every app is placed the way its scaler places it on the final set of hosts": the placement
 * hosts report must be a fixed point of the app's own scaler (the real spreadscaler) run over
 * the live hosts with those instances; and an undeployed app runs nothing anywhere.
 */
import { spreadScaler } from "../../src/scalers/index.js";
import type { HostRecord } from "../../src/streams/host-record.js";
import { runningByApp } from "../../test/support/lattice.js";

export interface Expectation {
  /** app name → its spreadscaler properties (what was deployed last). */
  deployed: Map<string, { instances: number; spread?: unknown }>;
  undeployed: Set<string>;
}

function show(m: Map<string, number>): string {
  return JSON.stringify(Object.fromEntries([...m].filter(([, n]) => n > 0).sort()));
}

export function placementProblems(records: HostRecord[], expect: Expectation): string[] {
  const now = runningByApp(records);
  const out: string[] = [];
  for (const app of expect.undeployed) {
    const left = now.get(app);
    if (left && left.size > 0) out.push(`${app} is undeployed but runs ${show(left)}`);
  }
  for (const [app, properties] of expect.deployed) {
    const observed = now.get(app) ?? new Map<string, number>();
    const hosts = records.map((r) => ({
      hostId: r.hostId,
      labels: r.labels,
      instances: observed.get(r.hostId) ?? 0,
    }));
    const result = spreadScaler.reconcile({
      app: { lattice: "default", name: app, version: "v1" },
      component: { name: "web", type: "process", rev: "", properties: {} },
      properties: spreadScaler.properties.parse(properties),
      hosts,
      now: Date.now(),
    });
    const want = new Map(
      result.placements instanceof Map
        ? result.placements
        : result.placements.map((p) => [p.hostId, p.count] as const),
    );
    if (show(want) !== show(observed))
      out.push(`${app}: hosts run ${show(observed)}, its scaler places ${show(want)}`);
  }
  return out;
}
