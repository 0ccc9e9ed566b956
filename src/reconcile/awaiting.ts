/**
 * What a component that is not there yet is waiting for, naming the hosts — so that no status
 * says only "0/1 ready" while something, somewhere, is supposed to happen: a command being
 * sent now, a command a host has not applied yet, instances a host is still starting, or
 * instances the scaler could not place. Pure.
 */
import type { ComponentPlan } from "./desired.js";
import type { Observed } from "./status.js";

const LISTED = 3;

function names(hosts: readonly string[]): string {
  const shown = hosts.slice(0, LISTED).join(", ");
  return hosts.length > LISTED ? `${shown} and ${hosts.length - LISTED} more` : shown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Hosts with a placement or a report of the component's current workload, sorted. */
function hostsOf(plan: ComponentPlan, observed: Observed): string[] {
  const ids = new Set(plan.placements.keys());
  for (const w of observed.workloads) if (w.key === plan.key) ids.add(w.host.hostId);
  return [...ids].sort();
}

/**
 * One clause per kind of wait, e.g. `sending a command to e1; waiting for e2 to apply its
 * command; waiting for e3 to start 2 instances`, or "" when nothing is awaited.
 */
export function awaiting(plan: ComponentPlan, observed: Observed): string {
  const sending: string[] = [];
  const applying: string[] = [];
  const starting: string[] = [];
  let toStart = 0;
  const reported = new Map(
    observed.workloads.filter((w) => w.key === plan.key).map((w) => [w.host.hostId, w.inventory]),
  );
  for (const hostId of hostsOf(plan, observed)) {
    const target = plan.placements.get(hostId) ?? 0;
    const inv = reported.get(hostId);
    const desired = inv?.desired ?? 0;
    const told = observed.told.get(`${hostId}\n${plan.key}`) ?? (target !== desired ? target : desired);
    if (observed.commands.some((c) => c.hostId === hostId && c.workload.key === plan.key)) {
      sending.push(hostId);
    } else if (told !== desired) {
      applying.push(hostId);
    } else if ((inv?.running ?? 0) < Math.min(target, desired)) {
      starting.push(hostId);
      toStart += Math.min(target, desired) - (inv?.running ?? 0);
    }
  }
  const placed = [...plan.placements.values()].reduce((a, b) => a + b, 0);
  const unplaced = (plan.desired ?? placed) - placed;
  return [
    sending.length > 0 && `sending ${sending.length === 1 ? "a command" : "commands"} to ${names(sending)}`,
    applying.length > 0 &&
      `waiting for ${names(applying)} to apply ${applying.length === 1 ? "its command" : "their commands"}`,
    starting.length > 0 && `waiting for ${names(starting)} to start ${plural(toStart, "instance")}`,
    unplaced > 0 && `${plural(unplaced, "instance")} not placed by ${plan.scaler ?? "any scaler"}`,
  ]
    .filter(Boolean)
    .join("; ");
}
