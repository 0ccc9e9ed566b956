/**
 * What the live hosts of a lattice report of one app, per component (every revision together):
 * the API's `status` checks the stored status against it, so it never claims less or more than
 * what runs (e.g. right after `undeploy`, while hosts are still stopping instances).
 */
import type { RunningComponent } from "../streams/app-status.js";
import type { LatticeView } from "./view.js";

/** Components of `app` with at least one running instance on a live host, sorted by name. */
export function runningComponents(view: LatticeView, lattice: string, app: string): RunningComponent[] {
  const byComponent = new Map<string, RunningComponent>();
  for (const w of view.workloadsOf(lattice, app)) {
    if (w.inventory.running === 0) continue;
    const name = w.inventory.component;
    const report = byComponent.get(name) ?? {
      component: name,
      running: 0,
      ready: 0,
      hosts: {},
      reportedAt: "",
    };
    report.running += w.inventory.running;
    report.ready += w.inventory.ready;
    report.hosts[w.host.hostId] = (report.hosts[w.host.hostId] ?? 0) + w.inventory.running;
    const seen = w.host.seenAt.toISOString();
    if (seen > report.reportedAt) report.reportedAt = seen;
    byComponent.set(name, report);
  }
  return [...byComponent.values()].sort((a, b) => (a.component < b.component ? -1 : 1));
}
