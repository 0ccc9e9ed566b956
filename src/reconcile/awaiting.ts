/**
 * What a component that is not there yet is waiting for, naming the hosts — so that no status
 * says only "0/1 ready" while something, somewhere, is supposed to happen: a command being
 * sent now, a command a host has not applied yet, instances a host is still starting, or
 * instances the scaler could not place. Pure.
 */
import type { PlannedComponent } from "./rolling.js";
import { slotId } from "./rollout.js";
import type { Observed } from "./status.js";

const LISTED = 3;

function names(hosts: ReadonlySet<string>): string {
  const sorted = [...hosts].sort();
  const shown = sorted.slice(0, LISTED).join(", ");
  return sorted.length > LISTED ? `${shown} and ${sorted.length - LISTED} more` : shown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * One clause per kind of wait, e.g. `sending a command to e1; waiting for e2 to apply its
 * command; waiting for e3 to start 2 instances`, or "" when nothing is awaited. Old revisions
 * of the component count too (a stop command is something to wait for).
 */
export function awaiting(plan: PlannedComponent, observed: Observed): string {
  const expected = expectedNow(plan);
  const sending = new Set(observed.commands.filter((c) => c.component === plan.name).map((c) => c.hostId));
  const applying = new Set<string>();
  const starting = new Set<string>();
  const stopping = new Set<string>();
  let toStart = 0;
  let toStop = 0;
  const reported = new Set<string>();
  for (const w of observed.workloads) {
    if (w.inventory.component !== plan.name) continue;
    const hostId = w.host.hostId;
    const told = observed.told.get(`${hostId}\n${w.key}`) ?? w.inventory.desired;
    if (w.key === plan.key) reported.add(hostId);
    if (sending.has(hostId)) continue;
    if (told !== w.inventory.desired) applying.add(hostId);
    else if (w.key !== plan.key && w.inventory.running > told) {
      stopping.add(hostId);
      toStop += w.inventory.running - told;
    } else if (w.key === plan.key) {
      const missing = Math.min(expected.get(hostId) ?? 0, w.inventory.desired) - w.inventory.running;
      if (missing > 0) {
        starting.add(hostId);
        toStart += missing;
      }
    }
  }
  // Placed where nothing is reported yet and nothing is being sent: a command is pending there.
  for (const [hostId, count] of expected) {
    if (count > 0 && !reported.has(hostId) && !sending.has(hostId)) applying.add(hostId);
  }
  const placed = [...plan.placements.values()].reduce((a, b) => a + b, 0);
  const unplaced = (plan.desired ?? placed) - placed;
  return [
    sending.size > 0 && `sending ${sending.size === 1 ? "a command" : "commands"} to ${names(sending)}`,
    applying.size > 0 &&
      `waiting for ${names(applying)} to apply ${applying.size === 1 ? "its command" : "their commands"}`,
    starting.size > 0 && `waiting for ${names(starting)} to start ${plural(toStart, "instance")}`,
    stopping.size > 0 &&
      `waiting for ${names(stopping)} to stop ${plural(toStop, "instance")} of an older revision`,
    unplaced > 0 && `${plural(unplaced, "instance")} not placed by ${plan.scaler ?? "any scaler"}`,
  ]
    .filter(Boolean)
    .join("; ");
}

/** Where the current revision should run now: mid-rollout, the step's counts, not the end state. */
function expectedNow(plan: PlannedComponent): ReadonlyMap<string, number> {
  const step = plan.rollout?.step;
  if (!step?.rolling) return plan.placements;
  const out = new Map<string, number>();
  for (const hostId of plan.placements.keys())
    out.set(hostId, step.counts.get(slotId(hostId, plan.key)) ?? 0);
  return out;
}
