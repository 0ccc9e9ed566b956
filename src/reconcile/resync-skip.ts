/**
 * Skipping an app's re-plan at the periodic resync when nothing its plan reads has changed
 * since a plan that changed nothing (docs/ARCHITECTURE.md, deviation 65).
 *
 * The resync re-plans every deployed app every `--resync-interval` to repair what a lost event
 * left behind. At 5,000 hosts a plan costs ~0.5 ms (the scaler walks every host), so 1,000 apps
 * cost half a second of CPU per resync, and in a settled lattice every one of them changes
 * nothing. Everything a lost event could have changed is a new value in one of this replica's
 * caches, so the re-plan is needed only where one of the plan's inputs is a different object
 * now. The plan is a pure function of `PlanInput`; this module names each part of it by an
 * identity that changes whenever its content can (`inputsOf`), and keeps the identities of an
 * app's last plan when that plan was provably a fixed point that time cannot move (`settles`):
 *
 * - its outcome: no command, no revert, no external call, and the status it computed equal to
 *   the stored one (so nothing was written) with phase `deployed` and no rollout;
 * - its scalers are built-in (spreadscaler, daemonscaler: they read neither `now` nor anything
 *   outside their input); an external scaler (worker thread, remote) may answer differently
 *   with the same input, e.g. an autoscaler reading metrics, so such apps are always re-planned;
 * - no command of the app known to this replica was issued within the in-flight timeout, now
 *   as at that plan (a pending command is how `now` reaches the diff; past the timeout none is).
 *
 * With those, `now` reaches the plan nowhere else: the rollout planner reads it only while a
 * component rolls (it would carry a rollout record), refusal backoffs only where a command is
 * proposed or a refusal holds (the status would say `failed`), and a stored refusal only ever
 * expires with time, so it cannot start holding later. `cause` only words non-deployed messages.
 */

import type { Manifest } from "../manifests/schema.js";
import { builtinScalers, type ScalerLookup } from "../scalers/index.js";
import type { AppStatus } from "../streams/app-status.js";
import type { Plan, PlanInput } from "./plan.js";
import { sameStatus } from "./status-writer.js";

/** What the plan reads besides `PlanInput` (the caller's caches), for one app. */
export interface OtherInputs {
  /** Revision of the replica's `nadm_refusals` cache (any change anywhere counts). */
  refusalsRevision: number;
  /** When the app's newest command known to the in-flight view was issued (ms). */
  lastIssuedAt: number | undefined;
  inflightTimeoutMs: number;
}

/** Stable numbers for objects, so a fingerprint names an object without keeping it alive. */
const ids = new WeakMap<object, number>();
let nextId = 1;

function idOf(o: object | undefined): number {
  if (o === undefined) return 0;
  let id = ids.get(o);
  if (id === undefined) {
    id = nextId++;
    ids.set(o, id);
  }
  return id;
}

/**
 * The identities of everything `plan(input)` reads, as one string equal for equal inputs;
 * undefined when the plan may depend on something no identity captures (an external scaler,
 * a command that may still be pending).
 */
export function inputsOf(input: PlanInput, other: OtherInputs): string | undefined {
  // A command that may still be pending is how `now` reaches the diff: no fixed point then.
  // Past the timeout, `pending` is nothing for every workload of the app, now as at the last plan.
  const issued = other.lastIssuedAt;
  if (issued !== undefined && input.now - issued < other.inflightTimeoutMs) return undefined;
  const scalers = scalersOf(input.stored?.deployed?.manifest, input.registry, input.scalerWarnings);
  if (scalers === undefined) return undefined;
  const s = input.stored;
  const stored = s
    ? [s.deployedVersion, s.previousVersion, s.generation, s.paused, JSON.stringify(s.revert ?? null)]
    : ["deleted"];
  // Hosts' ids and labels: the view hands out a new list when they change (view.ts `hosts`).
  const hosts = [idOf(input.hosts), idOf(input.suspect), input.hosts.length];
  // Each workload's report; a host's restart shows in startedAt/incarnation (refusals read them).
  const workloads = input.workloads
    .map(
      (w) =>
        `${w.host.hostId}/${w.key}/${idOf(w.inventory)}/${w.host.record.startedAt}/${w.host.record.incarnation ?? 0}`,
    )
    .sort();
  return [
    ...stored,
    s?.deployed?.version ?? "",
    idOf(s?.deployed?.manifest),
    scalers,
    ...hosts,
    idOf(input.previous),
    input.refusals ? other.refusalsRevision : "-",
    ...workloads,
  ].join("\n");
}

/**
 * Per component, the trait the planner will take as its scaler (the first the lookup knows)
 * and the built-in it resolves to, with any version warning on it; undefined when one is not
 * built in (its answer may move without any input changing).
 */
function scalersOf(
  manifest: Manifest | undefined,
  registry: ScalerLookup,
  warnings: ReadonlyMap<string, string> | undefined,
): string | undefined {
  const out: string[] = [];
  for (const component of manifest?.spec.components ?? []) {
    const known = (component.traits ?? []).map((t) => registry.has(t.type));
    const trait = component.traits?.find((t) => registry.has(t.type));
    if (trait) {
      const builtin = builtinScalers.indexOf(registry.get(trait.type) as (typeof builtinScalers)[number]);
      if (builtin < 0) return undefined;
      out.push(`${trait.type}:${builtin}:${warnings?.get(trait.type) ?? ""}`);
    }
    out.push(known.join(","));
  }
  return out.join(";");
}

/**
 * Whether a plan is a fixed point that time alone cannot move (see the module comment): it
 * issued nothing, computed the status already stored, and that status is settled.
 */
export function settles(p: Plan, previous: AppStatus | undefined): boolean {
  const s = p.status;
  return (
    p.commands.length === 0 &&
    !p.revert &&
    !p.calls &&
    s !== null &&
    s.phase === "deployed" &&
    s.components.every((c) => c.rollout === undefined) &&
    sameStatus(previous, s)
  );
}

/** Per app of a replica: the inputs of its last plan, when that plan settled. */
export class ResyncSkip {
  private readonly settled = new Map<string, string>();

  /** True when a re-plan of `app` with these inputs would change nothing. */
  unchanged(app: string, inputs: string | undefined): boolean {
    return inputs !== undefined && this.settled.get(app) === inputs;
  }

  /** After a plan of `app` (resync or not) has gone through: remembers its inputs if it settled. */
  planned(
    app: string,
    inputs: string | undefined,
    p: Plan,
    previous: AppStatus | undefined,
    wrote: boolean,
  ): void {
    if (inputs !== undefined && !wrote && settles(p, previous)) this.settled.set(app, inputs);
    else this.settled.delete(app);
  }

  /** Before a plan: whatever it does, what was remembered no longer describes the app. */
  forget(app: string): void {
    this.settled.delete(app);
  }

  /** Apps remembered (for tests and memory accounting). */
  get size(): number {
    return this.settled.size;
  }
}
