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
import type { HostState, WorkloadOnHost } from "../lattice/view.js";
import type { WorkloadInventory } from "../streams/host-record.js";
import type { Placed } from "./inflight.js";

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
