/**
 * The app's status (ARCHITECTURE §7) from its component plans and what hosts report: a phase per
 * component and for the app (the worst), each with one human sentence saying why.
 */

import type { WorkloadOnHost } from "../lattice/view.js";
import { type AppStatus, type ComponentStatus, type Phase, worstPhase } from "../streams/app-status.js";
import { awaiting } from "./awaiting.js";
import { instanceNotes } from "./instance-notes.js";
import type { PlanInput, PlannedCommand } from "./plan.js";
import { type Refused, refusalMessage } from "./refusals.js";
import type { PlannedComponent } from "./rolling.js";

/** An instance that crashed this often without the workload becoming fully ready is crash-looping. */
export const CRASH_LOOP_RESTARTS = 3;

export interface Observed {
  workloads: readonly WorkloadOnHost[];
  told: Map<string, number>;
  commands: readonly PlannedCommand[];
  /** Commands held back or retried because their host refused them before (refusals.ts). */
  refused?: readonly Refused[];
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function componentStatus(plan: PlannedComponent, observed: Observed, paused: boolean): ComponentStatus {
  const mine = observed.workloads.filter((w) => w.key === plan.key);
  const old = observed.workloads.filter((w) => w.inventory.component === plan.name && w.key !== plan.key);
  const desired = plan.desired ?? sum(plan.placements.values());
  const running = sum(mine.map((w) => w.inventory.running));
  const ready = sum(mine.map((w) => w.inventory.ready));
  const oldRunning = sum(old.map((w) => w.inventory.running));
  const hosts = Object.fromEntries(
    mine.filter((w) => w.inventory.running > 0).map((w) => [w.host.hostId, w.inventory.running]),
  );
  const counts = `${ready}/${desired} ready`;
  const record = plan.rollout?.record;
  const base = {
    name: plan.name,
    scaler: plan.scaler,
    desired,
    running,
    ready,
    hosts,
    ...(record ? { rollout: record } : {}),
  };
  // Crash-looping, as Kubernetes means it: crashed repeatedly and down in its backoff right now
  // (old restarts alone say nothing about the present).
  const crashing = mine.find(
    (w) => w.inventory.failed > 0 && w.inventory.restarts >= CRASH_LOOP_RESTARTS && w.inventory.lastError,
  );
  const notes = instanceNotes(mine);
  const issuing = observed.commands.some((c) => c.component === plan.name);
  const settled =
    !issuing && mine.every((w) => observed.told.get(`${w.host.hostId}\n${w.key}`) === w.inventory.desired);
  const starting = ready < Math.min(running, desired) ? `${Math.min(running, desired) - ready} starting` : "";
  // Mid-rollout the rolling sentence already says what is stopping and what is old.
  const extra = [
    starting,
    !record && running > desired ? `stopping ${plural(running - desired, "instance")}` : "",
    !record && oldRunning > 0 ? `${plural(oldRunning, "instance")} of an older revision still running` : "",
    ...notes.notes,
  ].filter(Boolean);
  const detail = [record ? rollingMessage(plan, desired) : counts, ...extra].join("; ");
  const refused = observed.refused?.filter((r) => r.component === plan.name) ?? [];
  let phase: Phase;
  let message: string;
  if (plan.status.phase === "failed") [phase, message] = ["failed", `${plan.status.message} (${counts})`];
  else if (plan.status.phase === "waiting")
    [phase, message] = ["waiting", `${plan.status.message} (${counts})`];
  else if (refused.length > 0) [phase, message] = ["failed", refusalMessage(refused, counts)];
  else if (plan.rollout?.stalled) [phase, message] = ["failed", `${plan.rollout.stalled}; ${detail}`];
  else if (notes.failure) [phase, message] = ["failed", `${notes.failure} (${counts})`];
  else if (crashing && ready < desired) {
    phase = "failed";
    message = `crash-looping on ${crashing.host.hostId} after ${plural(crashing.inventory.restarts, "restart")}: ${crashing.inventory.lastError} (${counts})`;
  } else if (paused) [phase, message] = ["paused", `paused: ${detail}`];
  else if (ready >= desired && running === desired && oldRunning === 0 && settled)
    [phase, message] = ["deployed", counts];
  else [phase, message] = ["reconciling", [detail, awaiting(plan, observed)].filter(Boolean).join("; ")];
  return { ...base, phase, message };
}

/** "rolling v1 → v2: 4/6 on v2, zone b in progress, 5/6 available" */
function rollingMessage(plan: PlannedComponent, desired: number): string {
  const r = plan.rollout?.record;
  const step = plan.rollout?.step;
  if (!r || !step) return "";
  const serialBy = plan.rollout?.properties.serialBy;
  const where = step.held ?? (r.active !== null && serialBy ? `${serialBy} ${r.active} in progress` : "");
  const minReady = plan.rollout?.properties.minReadySeconds ?? 0;
  const young = r.readyNew - r.availableNew;
  const parts = [
    `${r.readyNew}/${desired} on ${r.to}`,
    where,
    // A surge makes more than desired available: "desired/desired" says all that matters.
    `${Math.min(r.available, desired)}/${desired} available`,
    young > 0 ? `${young} ready for less than ${minReady} s` : "",
  ];
  return `rolling ${r.from ?? "older revision"} → ${r.to}: ${parts.filter(Boolean).join(", ")}`;
}

function appMessage(phase: Phase, components: ComponentStatus[], cause: string | undefined): string {
  if (components.length === 0) return "no components";
  if (phase === "deployed") {
    const ready = sum(components.map((c) => c.ready));
    return components.length === 1
      ? `${components[0]?.message}`
      : `all ${components.length} components deployed (${ready} instances ready)`;
  }
  const worst = components.filter((c) => c.phase === phase);
  const text = worst.map((c) => (components.length === 1 ? c.message : `${c.name}: ${c.message}`)).join("; ");
  return cause ? `${text} — after ${cause}` : text;
}

function undeployedMessage(what: string, running: number, commands: number): string {
  if (running > 0) return `${what}: stopping ${plural(running, "instance")}`;
  return commands > 0 ? `${what}: telling hosts to stop` : "not deployed";
}

function undeployedStatus(input: PlanInput, observed: Observed): AppStatus | null {
  const running = sum(observed.workloads.map((w) => w.inventory.running));
  if (!input.stored && running === 0 && observed.commands.length === 0) return null;
  return {
    name: input.app,
    version: null,
    phase: "undeployed",
    message: undeployedMessage(input.stored ? "undeployed" : "deleted", running, observed.commands.length),
    observedGeneration: input.stored?.generation ?? 0,
    updatedAt: new Date(input.now).toISOString(),
    components: [],
  };
}

export function appStatus(
  input: PlanInput,
  version: string | null,
  plans: PlannedComponent[],
  observed: Observed,
  paused: boolean,
): AppStatus | null {
  if (version === null) return undeployedStatus(input, observed);
  const components = plans.map((p) => componentStatus(p, observed, paused));
  const noHosts = input.hosts.length === 0;
  const phase = noHosts ? "waiting" : worstPhase(components.map((c) => c.phase));
  const revert = input.stored?.revert;
  const said = noHosts ? "no hosts in lattice" : appMessage(phase, components, input.cause);
  const message = revert ? `reverted to ${revert.to}: ${revert.reason}; ${said}` : said;
  return {
    name: input.app,
    version,
    phase,
    message,
    observedGeneration: input.stored?.generation ?? 0,
    updatedAt: new Date(input.now).toISOString(),
    components,
  };
}
