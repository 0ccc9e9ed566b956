/**
 * What killing host lives cost, for the minimum of a chaos run: every (host, app) a killed life
 * ran, or was last told to run, must be placed again — one command at least.
 */
import type { HostRecord } from "../../src/streams/host-record.js";
import type { CommandSeen } from "../../test/support/lattice.js";

/**
 * The "host app" pairs lost with the lives in `killed` (each life's last record before its kill),
 * one per life: two lives of a host that both ran an app lost it twice.
 * A command planned for a life (its `hostStartedAt`) says what the life should run, whenever it
 * was issued: one sent after the kill, before anyone could notice it, is lost just the same (the
 * dispatcher drops it and the app is placed again). The newest such command per workload wins;
 * apps with none are as the record says.
 */
export function lostPairs(killed: readonly HostRecord[], commands: readonly CommandSeen[]): string[] {
  const lost: string[] = [];
  for (const life of killed) {
    const runs = new Map<string, boolean>(); // app → runs (or was told to)
    for (const inv of Object.values(life.inventory)) if (inv.running > 0) runs.set(inv.app, true);
    const newest = new Map<string, CommandSeen>(); // workload key → newest command for this life
    for (const c of commands) {
      if (c.hostId !== life.hostId || c.hostStartedAt !== life.startedAt) continue;
      const seen = newest.get(c.key);
      if (!seen || seen.seq < c.seq) newest.set(c.key, c);
    }
    const told = new Map<string, boolean>();
    for (const c of newest.values()) told.set(c.app, (told.get(c.app) ?? false) || c.count > 0);
    for (const [app, runsNow] of told) runs.set(app, runsNow);
    for (const [app, runsNow] of runs) if (runsNow) lost.push(`${life.hostId} ${app}`);
  }
  return lost;
}
