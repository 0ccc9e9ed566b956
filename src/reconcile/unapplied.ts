/**
 * Placements not applied yet, as the planner must see them. The planner diffs against what each
 * host was told (a pending command wins over the host's report, ARCHITECTURE §2 rule 6), but it
 * learns *where* an app's workloads are from the hosts' records. A command that places a workload
 * on a host whose record has no entry for it yet was invisible there: the scaler saw that host
 * empty, and once a host it ranks higher appeared (a restarted host, back under its id) it placed
 * the instance there too. The pending one then ran as well, and a later plan stopped it again:
 * two commands for nothing (host chaos counted them). An entry for each such placement, reporting
 * nothing yet, makes the pending command count like any other.
 */
import type { HostState, LatticeView, WorkloadOnHost } from "../lattice/view.js";
import type { WorkloadInventory } from "../streams/host-record.js";
import type { InflightView, Placed } from "./inflight.js";
import type { Pending } from "./plan.js";

/** What the planner reads of an app from this replica: `pending` and `workloads` of its input. */
export function observed(
  view: LatticeView,
  inflight: InflightView,
  lattice: string,
  app: string,
  now: number,
  suspect?: ReadonlySet<string>,
): { pending: (hostId: string, key: string) => Pending | undefined; workloads: WorkloadOnHost[] } {
  const pending = (hostId: string, key: string) =>
    inflight.pending(lattice, hostId, key, view.host(lattice, hostId)?.record.inventory[key], now);
  const workloads = withUnapplied(
    app,
    view.workloadsOf(lattice, app),
    inflight.placementsOf(lattice, app, now),
    (hostId) => view.host(lattice, hostId),
    (hostId, key) => pending(hostId, key) !== undefined,
    suspect,
  );
  return { pending, workloads };
}

/**
 * `reported` plus an entry (nothing desired, running or ready) for each placement in `placed`
 * that is still pending on a live host whose record has no entry for the workload. Not on a
 * suspect host: nothing new goes there (liveness.ts), so the instance is placed elsewhere now
 * rather than when the host is declared lost.
 */
export function withUnapplied(
  app: string,
  reported: WorkloadOnHost[],
  placed: readonly Placed[],
  host: (hostId: string) => HostState | undefined,
  isPending: (hostId: string, key: string) => boolean,
  suspect?: ReadonlySet<string>,
): WorkloadOnHost[] {
  let out = reported;
  for (const p of placed) {
    const h = host(p.hostId);
    if (!h || h.record.inventory[p.key] || suspect?.has(p.hostId) || !isPending(p.hostId, p.key)) continue;
    if (out === reported) out = reported.slice();
    out.push({ host: h, key: p.key, inventory: notYetReported(app, p) });
  }
  return out;
}

function notYetReported(app: string, p: Placed): WorkloadInventory {
  return {
    app,
    component: p.component,
    rev: p.rev,
    desired: 0,
    running: 0,
    ready: 0,
    failed: 0,
    restarts: 0,
    lastError: null,
  };
}
