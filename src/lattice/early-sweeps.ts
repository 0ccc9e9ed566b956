/**
 * Liveness sweeps between ticks. The sweep runs when a replica handles a lattice tick (once a
 * second by default), so a host that expires just after a tick was declared lost up to a whole
 * interval late: half of one on average, which the heal of a zone failure waits out for the
 * last of its hosts. So the replica that handled a tick sweeps the lattice again when the next
 * suspect host expires, if that comes before the next tick, and then looks again; never sooner
 * than MIN_GAP_MS after its previous sweep, so hundreds of hosts expiring over a few seconds are
 * swept in batches. Only suspect hosts are looked at: a lattice whose hosts report has no timer.
 *
 * Like every sweep it is idempotent (compare-and-set deletes, deduplicated `host_lost`), and it
 * is only a shortcut: if this replica stops, the next tick sweeps as before.
 */
import type { Logger } from "../log.js";
import { nextExpiry } from "./liveness.js";
import type { HostState } from "./view.js";

/** Least time between two sweeps of one lattice by one replica. */
export const MIN_GAP_MS = 200;

export interface EarlySweepDeps {
  /** Sweeps the lattice now (sweepLattice). */
  sweep: (lattice: string) => Promise<unknown>;
  hosts: (lattice: string) => readonly HostState[];
  /** When this replica last (re)connected to NATS: silence before it does not count. */
  notBefore: () => number;
  log: Logger;
}

export class EarlySweeps {
  /** lattice → the pending sweep, and when the next tick is due (sweeps after it are its own). */
  private readonly pending = new Map<string, { timer?: NodeJS.Timeout; until: number }>();
  private stopped = false;

  constructor(private readonly deps: EarlySweepDeps) {}

  /** After this replica swept `lattice` for a tick; ticks come every `intervalMs`. */
  afterTick(lattice: string, intervalMs: number): void {
    const until = Date.now() + intervalMs;
    const slot = this.pending.get(lattice);
    if (slot) slot.until = until;
    else this.schedule(lattice, until);
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private schedule(lattice: string, until: number): void {
    if (this.stopped) return;
    const now = Date.now();
    const at = nextExpiry(this.deps.hosts(lattice), now, this.deps.notBefore());
    if (at === undefined || at >= until) {
      this.pending.delete(lattice);
      return;
    }
    const slot = { until, timer: undefined as NodeJS.Timeout | undefined };
    slot.timer = setTimeout(() => void this.fire(lattice, slot), Math.max(at - now, MIN_GAP_MS));
    slot.timer.unref();
    this.pending.set(lattice, slot);
  }

  private async fire(lattice: string, slot: { until: number }): Promise<void> {
    try {
      await this.deps.sweep(lattice);
    } catch (err) {
      this.deps.log.warn({ err, lattice }, "early liveness sweep failed (the next tick sweeps again)");
    }
    this.schedule(lattice, slot.until);
  }
}
