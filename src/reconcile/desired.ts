/**
 * From a deployed manifest and the lattice, the desired instance count of every workload of an
 * app on every host: each component's scaler places its current revision; every other
 * workload of the app (old revisions, removed components, an undeployed app) goes to zero.
 * Pure: no I/O, no clock.
 */

import type { HostState, WorkloadOnHost } from "../lattice/view.js";
import { componentRevision } from "../manifests/index.js";
import type { ComponentSpec, Manifest } from "../manifests/schema.js";
import {
  deepFreeze,
  type ExternalOutcome,
  type HostView,
  normalizeResult,
  type Scaler,
  ScalerError,
  type ScalerInput,
  type ScalerLookup,
  type ScalerStatus,
} from "../scalers/index.js";
import type { WorkloadSpec } from "../streams/commands.js";
import { workloadKey } from "../streams/subjects.js";

export interface ComponentPlan {
  name: string;
  scaler: string | null;
  key: string;
  workload: WorkloadSpec;
  status: ScalerStatus;
  /** hostId → count for the current revision. */
  placements: Map<string, number>;
  /** What the scaler's properties ask for in all (`desiredTotal`), when it says: "2/5 ready" counts it. */
  desired?: number;
  /** Not placed by this replica (scaler unknown here, or it threw): its workloads are left alone. */
  unmanaged: boolean;
  /** An external scaler's call this plan needs and was not given the outcome of (external.ts). */
  call?: ExternalCall;
}

/** The input an external scaler must be called with for one component. */
export interface ExternalCall {
  component: string;
  scaler: string;
  input: ScalerInput<unknown>;
}

export interface DesiredInput {
  lattice: string;
  app: string;
  version: string;
  manifest: Manifest;
  hosts: readonly HostState[];
  hostsById: ReadonlyMap<string, HostState>;
  workloads: readonly WorkloadOnHost[];
  registry: ScalerLookup;
  /** What each host was last told per workload key (pending command, else the host's `desired`). */
  told: (hostId: string, key: string) => number;
  now: number;
  /** Hosts that missed a heartbeat: they keep what they run but get nothing new (liveness.ts). */
  suspect?: ReadonlySet<string>;
  /** Outcomes of external scaler calls by component name (absent: not evaluated yet). */
  external?: ReadonlyMap<string, ExternalOutcome>;
  /** Scaler type → why replicas disagree on it (scaler-versions.ts): told in the component's status. */
  scalerWarnings?: ReadonlyMap<string, string>;
}

/** Cached per component object: a stored manifest is immutable until its KV entry changes. */
const specs = new WeakMap<ComponentSpec, WorkloadSpec>();

export function workloadSpecOf(app: string, component: ComponentSpec): WorkloadSpec {
  const cached = specs.get(component);
  if (cached?.key.startsWith(`${app}.`)) return cached;
  const rev = componentRevision(component);
  const spec = {
    key: workloadKey(app, component.name, rev),
    rev,
    type: component.type,
    spec: component.properties as Record<string, unknown>,
  };
  specs.set(component, spec);
  return spec;
}

function hostViews(input: DesiredInput, component: string): HostView[] {
  const perHost = new Map<string, number>();
  for (const w of input.workloads) {
    if (w.inventory.component !== component) continue;
    perHost.set(w.host.hostId, (perHost.get(w.host.hostId) ?? 0) + input.told(w.host.hostId, w.key));
  }
  const base = emptyHostViews(input.hosts, input.suspect);
  const views = base.views.slice();
  const added = new Set<string>();
  for (const [hostId, instances] of perHost) {
    const host = input.hostsById.get(hostId);
    if (!host || instances === 0) continue;
    const view = Object.freeze({ hostId, labels: deepFreeze(host.record.labels), instances });
    const at = base.at.get(hostId);
    // A suspect host is a candidate only for what it runs already.
    if (at === undefined) {
      views.push(view);
      added.add(hostId);
    } else views[at] = view;
  }
  givenHosts.set(views, (hostId) => base.at.has(hostId) || added.has(hostId));
  return views;
}

/**
 * Per hosts array built by hostViews: whether a host is in it. Checking a scaler's placements
 * against a set of every host, built per call, cost more than the scaler itself at 5,000 hosts
 * (the M5 profile in bench/README.md).
 */
const givenHosts = new WeakMap<readonly HostView[], (hostId: string) => boolean>();

interface EmptyViews {
  suspect: ReadonlySet<string> | undefined;
  views: readonly HostView[];
  at: Map<string, number>;
}

/**
 * Per hosts list: the lattice view hands out the same list while no host joins, leaves or
 * changes labels (view.ts `hosts`), so ids and labels derived from it stay true.
 */
const emptyViewCache = new WeakMap<readonly HostState[], EmptyViews>();

/**
 * Every candidate host (not suspect) with no instances: the same frozen objects for every
 * component reconciled while the hosts list and the suspect set stay the same. Thousands of
 * hosts × hundreds of apps made these allocations a large part of a resync.
 */
function emptyHostViews(hosts: readonly HostState[], suspect: ReadonlySet<string> | undefined): EmptyViews {
  const cached = emptyViewCache.get(hosts);
  if (cached && cached.suspect === suspect) return cached;
  const built: EmptyViews = { suspect, views: [], at: new Map() };
  const views: HostView[] = [];
  for (const h of hosts) {
    if (suspect?.has(h.hostId)) continue;
    built.at.set(h.hostId, views.length);
    views.push(Object.freeze({ hostId: h.hostId, labels: deepFreeze(h.record.labels), instances: 0 }));
  }
  built.views = views; // not frozen itself: slicing a frozen array is a slow path in V8
  emptyViewCache.set(hosts, built);
  return built;
}

/** A suspect host may keep or shed instances, never gain them (the scaler may not know it is suspect). */
function cordoned(
  placements: Map<string, number>,
  hosts: readonly HostView[],
  suspect?: ReadonlySet<string>,
) {
  if (!suspect || suspect.size === 0) return placements;
  // Only placements can exceed what a host runs: look at those (a handful), not at the fleet.
  const onSuspects = new Set<string>();
  for (const [hostId, count] of placements) if (count > 0 && suspect.has(hostId)) onSuspects.add(hostId);
  if (onSuspects.size === 0) return placements;
  for (const h of hosts) {
    if (!onSuspects.has(h.hostId)) continue;
    const count = placements.get(h.hostId) ?? 0;
    if (count > h.instances) placements.set(h.hostId, h.instances);
  }
  return placements;
}

export function planComponent(input: DesiredInput, component: ComponentSpec): ComponentPlan {
  const plan = placeComponent(input, component);
  const warning = plan.scaler ? input.scalerWarnings?.get(plan.scaler) : undefined;
  return warning
    ? { ...plan, status: { ...plan.status, message: `${plan.status.message} (warning: ${warning})` } }
    : plan;
}

function placeComponent(input: DesiredInput, component: ComponentSpec): ComponentPlan {
  const workload = workloadSpecOf(input.app, component);
  const base = { name: component.name, key: workload.key, workload, placements: new Map<string, number>() };
  const trait = component.traits?.find((t) => input.registry.has(t.type));
  const unknown = component.traits?.find((t) => t.type !== "rollout" && !input.registry.has(t.type));
  if (!trait) {
    if (unknown) {
      const status = {
        phase: "failed" as const,
        message: `scaler "${unknown.type}" is not loaded on this controller`,
      };
      return { ...base, scaler: unknown.type, status, unmanaged: true };
    }
    return {
      ...base,
      scaler: null,
      status: { phase: "ok", message: "no scaler trait: not placed" },
      unmanaged: false,
    };
  }
  const type = trait.type;
  try {
    const scaler = input.registry.get(type);
    const properties = (scaler ?? input.registry.getExternal(type)!).properties.parse(trait.properties);
    const hosts = hostViews(input, component.name);
    const call: ScalerInput<unknown> = {
      app: { lattice: input.lattice, name: input.app, version: input.version },
      component: {
        name: component.name,
        type: component.type,
        rev: workload.rev,
        properties: component.properties,
      },
      properties,
      hosts,
      now: input.now,
    };
    if (!scaler) return externalPlan(input, { ...base, scaler: type }, call);
    // In-process (built-in) scalers: what is shared between calls is frozen — host labels (in
    // hostViews), the stored manifest's properties, the parsed properties; the hosts array is a
    // fresh copy per call, left unfrozen (freezing it cost +25 % per plan at 100 hosts).
    deepFreeze(component.properties);
    deepFreeze(properties);
    const result = normalizeResult(scaler.reconcile(call), type);
    const desired = askedTotal(scaler, properties, hosts);
    return placed(
      { ...base, scaler: type, desired, status: result.status },
      result.placements,
      hosts,
      input.suspect,
    );
  } catch (err) {
    return failed(base, type, (err as Error).message);
  }
}

type Base = Omit<ComponentPlan, "status" | "unmanaged">;

function failed(base: Omit<Base, "scaler">, type: string, message: string): ComponentPlan {
  const status = { phase: "failed" as const, message: `scaler ${type} failed: ${message}` };
  return { ...base, scaler: type, status, unmanaged: true };
}

/**
 * A placement may name only hosts the scaler was given (a host it made up, or one left out as
 * suspect, is a broken result: the component fails rather than half-following it); suspect
 * hosts it runs on already gain nothing.
 */
function placed(
  plan: Base & { status: ScalerStatus },
  result: Map<string, number>,
  hosts: readonly HostView[],
  suspect: ReadonlySet<string> | undefined,
): ComponentPlan {
  const given = givenHosts.get(hosts) ?? setHas(new Set(hosts.map((h) => h.hostId)));
  const unknown = [...result.keys()].find((hostId) => !given(hostId));
  if (unknown !== undefined)
    throw new ScalerError(
      plan.scaler ?? "",
      `placed on host "${unknown}", which is not among the hosts it was given`,
    );
  return { ...plan, placements: cordoned(result, hosts, suspect), unmanaged: false };
}

function setHas(ids: ReadonlySet<string>): (hostId: string) => boolean {
  return (hostId) => ids.has(hostId);
}

/**
 * An external scaler's outcome, checked exactly like an in-process result; without one yet, the
 * component asks for the call and is left alone in this pass (the caller plans again).
 */
function externalPlan(input: DesiredInput, base: Base, call: ScalerInput<unknown>): ComponentPlan {
  const type = base.scaler ?? "";
  const outcome = input.external?.get(base.name);
  if (!outcome) {
    const status = { phase: "waiting" as const, message: `scaler ${type}: not evaluated yet` };
    return { ...base, status, unmanaged: true, call: { component: base.name, scaler: type, input: call } };
  }
  if (!outcome.ok) return failed(base, type, outcome.error);
  const result = normalizeResult(outcome.result, type);
  const d = outcome.desired;
  const desired = typeof d === "number" && Number.isSafeInteger(d) && d >= 0 ? d : undefined;
  return placed({ ...base, desired, status: result.status }, result.placements, call.hosts, input.suspect);
}
/** The scaler's own total, if it gives a sane one; it only feeds the status, so a bad one is ignored. */
function askedTotal(scaler: Scaler, properties: unknown, hosts: readonly HostView[]): number | undefined {
  try {
    const total = scaler.desiredTotal?.(properties, hosts);
    return Number.isSafeInteger(total) && (total as number) >= 0 ? total : undefined;
  } catch {
    return undefined;
  }
}
