/**
 * Each lattice's suspect hosts (lattice/liveness.ts), computed at most every `reuseMs` rather than
 * per app: during a burst hundreds of apps are reconciled per second over the same fleet. A
 * suspect host that has reported since is not suspect a moment longer: a host restarted under
 * its id would otherwise be passed over for the instances it ran, and they would go elsewhere,
 * only to be moved back by the next plan (host chaos caught it). A host falling silent may be
 * found suspect up to `reuseMs` late.
 */
import { silentTooLong, suspectHosts } from "../lattice/liveness.js";
import type { HostState } from "../lattice/view.js";

/** How long one verdict serves (a heartbeat is seconds; a burst is hundreds of apps). */
export const SUSPECT_REUSE_MS = 250;

interface Verdict {
  at: number;
  hosts: readonly HostState[];
  set: ReadonlySet<string>;
}

export class SuspectSets {
  private readonly verdicts = new Map<string, Verdict>();

  constructor(private readonly reuseMs = SUSPECT_REUSE_MS) {}

  /**
   * `hosts` is the view's list of the lattice (a new list whenever a host joins or leaves) and
   * `byId` its current states; silence before `notBefore` does not count (liveness.ts).
   */
  of(
    lattice: string,
    hosts: readonly HostState[],
    byId: ReadonlyMap<string, HostState>,
    now: number,
    notBefore = 0,
  ): ReadonlySet<string> {
    const last = this.verdicts.get(lattice);
    const stillSilent = (id: string) => {
      const h = byId.get(id);
      return h !== undefined && silentTooLong(h, now, notBefore);
    };
    if (last && last.hosts === hosts && now - last.at < this.reuseMs && everyOf(last.set, stillSilent))
      return last.set;
    const fresh = suspectHosts(hosts, now, notBefore);
    // The same verdict keeps the same object: the planner's host views are cached on it.
    const set = last && sameMembers(last.set, fresh) ? last.set : fresh;
    this.verdicts.set(lattice, { at: now, hosts, set });
    return set;
  }
}

function everyOf(set: ReadonlySet<string>, test: (id: string) => boolean): boolean {
  for (const x of set) if (!test(x)) return false;
  return true;
}

function sameMembers(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
